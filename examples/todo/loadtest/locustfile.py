"""todo-api's load: TodoUser lists the newest todos, creates its own and reads them back.

The kit loads this file beside its gate plugin (`locust -f loadtests/gate.py,<this file>`)
from the kit's root; the one kit module it imports is loadtests.extras, where every created
id is reported for the rollout's verdict.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

import gevent.ssl
from locust import FastHttpUser, between, task
from locust.env import Environment

from loadtests.extras import extras

RELEASE_HEADER = "X-Release"


def verifying_against(cafile: str) -> Callable[..., gevent.ssl.SSLContext]:
    """Return a TLS context factory that trusts cafile (whatever cafile the client offers)."""

    def factory(**_: Any) -> gevent.ssl.SSLContext:
        return gevent.ssl.create_default_context(cafile=cafile)

    return factory


class TodoUser(FastHttpUser):
    """An API client: mostly lists, sometimes creates, and reads back the todos it made."""

    wait_time = between(0.05, 0.3)
    network_timeout = 10.0
    connection_timeout = 5.0

    def __init__(self, environment: Environment) -> None:
        options = environment.parsed_options
        ca_cert = getattr(options, "ca_cert", "") if options else ""
        if ca_cert:
            # Verify the stack's certificate with its own CA; locust would verify nothing.
            self.insecure = False
            self.ssl_context_factory = verifying_against(ca_cert)
        super().__init__(environment)
        self.mine: dict[int, str] = {}

    def checked(self, resp: Any, expected: int) -> dict[str, Any] | None:
        """Fail the answer unless it has the status, the release header and a JSON object."""
        if resp.status_code != expected:
            why = f" ({resp.error!r})" if resp.status_code == 0 else ""
            resp.failure(f"status {resp.status_code}, expected {expected}{why}")
            return None
        if not resp.headers.get(RELEASE_HEADER):
            resp.failure(f"no {RELEASE_HEADER} header")
            return None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            resp.failure("the body is not a JSON object")
            return None
        return body

    @task(5)
    def list_newest(self) -> None:
        """List a page of the newest todos."""
        limit = random.choice((5, 10, 20))  # noqa: S311 - load shape, not security
        with self.client.get(
            f"/todos?limit={limit}", name="/todos?limit=[n]", catch_response=True
        ) as resp:
            body = self.checked(resp, 200)
            if body is not None and not isinstance(body.get("todos"), list):
                resp.failure("no todos list")

    @task(2)
    def create(self) -> None:
        """Create a todo; every 201 is remembered and reported to the verdict."""
        if extras.read_only:  # the environment's gate writes nothing (its gates file)
            return
        title = f"load {uuid.uuid4().hex[:12]}"
        with self.client.post("/todos", json={"title": title}, catch_response=True) as resp:
            body = self.checked(resp, 201)
            if body is None:
                return
            if not isinstance(body.get("id"), int) or body.get("title") != title:
                resp.failure("201 without the todo that was sent")
                return
            self.mine[body["id"]] = title
            extras.created_ids.append(str(body["id"]))

    @task(3)
    def read_back(self) -> None:
        """Read back one of its own todos (creating one first when it has none yet)."""
        if not self.mine:
            self.create()
            return
        todo_id = random.choice(list(self.mine))  # noqa: S311
        with self.client.get(f"/todos/{todo_id}", name="/todos/[id]", catch_response=True) as resp:
            body = self.checked(resp, 200)
            if body is not None and body.get("title") != self.mine[todo_id]:
                resp.failure("read back a different todo")
