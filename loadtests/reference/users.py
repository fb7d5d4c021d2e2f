"""Realistic locust users: anonymous browsing, and API clients working on items and uploads.

Writes are made as one shared load-test account (loadtests.session signs it in once).
Extend by subclassing: a task that needs an optional feature returns early while the
feature is absent, so it neither fails nor passes silently (the verdict lists the skipped
features and why).
"""

from __future__ import annotations

import functools
import random
import uuid
from typing import Any

import gevent.ssl
from locust import FastHttpUser, between, events, tag, task
from locust.env import Environment

from loadtests.extras import extras, ssl_context
from loadtests.reference.session import clean_up, probe, shared


def _trusting(ca: str, cafile: str | None = None, **_: Any) -> gevent.ssl.SSLContext:
    """Build a verifying TLS context for the stack's CA (geventhttpclient passes its own cafile)."""
    return gevent.ssl.create_default_context(cafile=ca)


@events.test_start.add_listener
def _sign_in(environment: Environment, **_: Any) -> None:
    """Sign in and probe optional features once, before the users start."""
    if environment.host:
        probe(environment.host, ssl_context(environment))


@events.test_stop.add_listener
def _clean_up(environment: Environment, **_: Any) -> None:
    """Delete what the load wrote when the environment's gate asks for it (after the stats)."""
    if extras.cleanup and environment.host and shared.created_ids:
        clean_up(environment.host, ssl_context(environment))


class KitUser(FastHttpUser):
    """Base user: verifies TLS against --ca-cert when given and checks the kit headers."""

    abstract = True
    network_timeout = 10.0
    connection_timeout = 5.0

    def __init__(self, environment: Environment) -> None:
        opts = environment.parsed_options
        ca = getattr(opts, "ca_cert", "") if opts else ""
        if ca:
            # Trust the stack's own CA instead of locust's default of not verifying at all.
            self.insecure = False
            self.ssl_context_factory = functools.partial(_trusting, ca)
        super().__init__(environment)

    def check(self, resp: Any, expected: int, want_json: bool = False) -> Any:
        """Fail the response unless it has the status, the version header and (optionally) JSON."""
        if resp.status_code == 0:
            resp.failure(f"connection error: {resp.error!r}")
            return None
        if resp.status_code != expected:
            resp.failure(f"status {resp.status_code}, expected {expected}")
            return None
        if not resp.headers.get("X-App-Version"):
            resp.failure("missing X-App-Version header")
            return None
        if not want_json:
            return None
        try:
            return resp.json()
        except ValueError:
            resp.failure("response is not JSON")
            return None


class Browser(KitUser):
    """Anonymous visitor: home page, item list pages, one item, API docs."""

    weight = 3
    wait_time = between(0.05, 0.3)

    @task(3)
    def home(self) -> None:
        """Load the home page."""
        with self.client.get("/", name="/", catch_response=True) as resp:
            self.check(resp, 200)
            if resp.status_code == 200 and "html" not in resp.headers.get("Content-Type", ""):
                resp.failure("home is not HTML")

    @task(5)
    def list_items(self) -> None:
        """Page through the item list."""
        page = random.randint(1, 3)  # noqa: S311 - load shape, not security
        with self.client.get(
            f"/api/v1/items?page={page}", name="/api/v1/items?page=[n]", catch_response=True
        ) as resp:
            self.check(resp, 200, want_json=True)

    @task(1)
    def openapi(self) -> None:
        """Fetch the OpenAPI document."""
        with self.client.get("/api/v1/openapi.json", catch_response=True) as resp:
            self.check(resp, 200, want_json=True)


class ApiClient(KitUser):
    """API client that creates, reads and updates its own items as the load-test account."""

    weight = 2
    wait_time = between(0.05, 0.3)
    items_path = "/api/v1/items"

    def on_start(self) -> None:
        """Start with no items of its own."""
        self.own: list[Any] = []

    def payload(self) -> dict[str, Any]:
        """Return a new item's body (owner_id only for an app without auth)."""
        body: dict[str, Any] = {"title": f"load-{uuid.uuid4().hex[:16]}", "body": "by locust"}
        if shared.owner_id is not None:
            body["owner_id"] = shared.owner_id
        return body

    @tag("write")
    @task(2)
    def create(self) -> None:
        """Create an item; every 201 is remembered for the nothing-lost check."""
        if not shared.writes_enabled():
            return
        with self.client.post(
            self.items_path, json=self.payload(), headers=shared.auth_headers(),
            catch_response=True,
        ) as resp:  # fmt: skip
            body = self.check(resp, 201, want_json=True)
            if isinstance(body, dict) and "id" in body:
                self.own.append(body["id"])
                shared.created_ids.append(str(body["id"]))
            elif body is not None:
                resp.failure("201 without an id")

    @task(4)
    def read(self) -> None:
        """Read back one of its items."""
        if not self.own:
            return
        item_id = random.choice(self.own)  # noqa: S311
        with self.client.get(
            f"{self.items_path}/{item_id}", name=f"{self.items_path}/[id]", catch_response=True
        ) as resp:
            body = self.check(resp, 200, want_json=True)
            if isinstance(body, dict) and body.get("id") != item_id:
                resp.failure("wrong item returned")

    @tag("write")
    @task(1)
    def update(self) -> None:
        """Change the body of one of its items."""
        if not self.own:
            return
        item_id = random.choice(self.own)  # noqa: S311
        with self.client.patch(
            f"{self.items_path}/{item_id}",
            json={"body": f"updated {uuid.uuid4().hex[:8]}"},
            headers=shared.auth_headers(),
            name=f"{self.items_path}/[id]",
            catch_response=True,
        ) as resp:
            self.check(resp, 200, want_json=True)


class Uploader(ApiClient):
    """API client that also declares uploads and reads them back (skipped until they exist).

    The file bytes go straight to object storage with the presigned form, not through the
    app, so they are not part of this load.
    """

    weight = 1

    @tag("write")
    @task(1)
    def upload(self) -> None:
        """Declare an upload (201 with a presigned form), read it back, then list the uploads."""
        if "uploads" in shared.skipped or not shared.token:
            return
        declared = {"filename": "load.txt", "content_type": "text/plain", "size": 18}
        with self.client.post(
            "/api/v1/uploads", json=declared, headers=shared.auth_headers(), catch_response=True
        ) as resp:
            body = self.check(resp, 201, want_json=True)
        if isinstance(body, dict) and "id" in body:
            with self.client.get(
                f"/api/v1/uploads/{body['id']}", headers=shared.auth_headers(),
                name="/api/v1/uploads/[id]", catch_response=True,
            ) as resp:  # fmt: skip
                self.check(resp, 200, want_json=True)
            with self.client.get(
                "/api/v1/uploads", headers=shared.auth_headers(), catch_response=True
            ) as resp:
                self.check(resp, 200, want_json=True)
