"""Realistic locust users: anonymous browsing and API clients working on items.

Extend by subclassing: optional features (auth, uploads) are probed once by loadtests.gate;
tasks that need one return early while it is absent, so they neither fail nor pass silently
(the verdict lists the skipped features).
"""

from __future__ import annotations

import functools
import random
import uuid
from typing import Any

import gevent.ssl
from locust import FastHttpUser, between, tag, task
from locust.env import Environment

from loadtests.gate import feature_available, owner_id, record_created


def _trusting(ca: str, cafile: str | None = None, **_: Any) -> gevent.ssl.SSLContext:
    """Build a verifying TLS context for the stack's CA (geventhttpclient passes its own cafile)."""
    return gevent.ssl.create_default_context(cafile=ca)


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
    """Anonymous visitor: home page, item list pages, API docs."""

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
    """API client that creates, reads and updates its own items."""

    weight = 2
    wait_time = between(0.05, 0.3)
    items_path = "/api/v1/items"

    def on_start(self) -> None:
        """Start with no items of its own; write as the owner of an existing item."""
        self.own: list[Any] = []
        self.owner_id = owner_id(self.environment)

    def payload(self) -> dict[str, Any]:
        """Return a new item's body."""
        return {
            "owner_id": self.owner_id,
            "title": f"load-{uuid.uuid4().hex[:16]}",
            "body": "created by locust",
        }

    @tag("write")
    @task(2)
    def create(self) -> None:
        """Create an item; every 201 is remembered for the nothing-lost check."""
        if self.owner_id is None:
            return
        with self.client.post(self.items_path, json=self.payload(), catch_response=True) as resp:
            body = self.check(resp, 201, want_json=True)
            if isinstance(body, dict) and "id" in body:
                self.own.append(body["id"])
                record_created(body["id"])
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
        """Rename one of its items."""
        if not self.own:
            return
        item_id = random.choice(self.own)  # noqa: S311
        with self.client.patch(
            f"{self.items_path}/{item_id}",
            json={"body": f"updated {uuid.uuid4().hex[:8]}"},
            name=f"{self.items_path}/[id]",
            catch_response=True,
        ) as resp:
            self.check(resp, 200, want_json=True)


class Uploader(ApiClient):
    """API client that also uploads files (that task is skipped until auth and uploads exist)."""

    weight = 1

    @task
    def upload(self) -> None:
        """Upload a small file once auth and uploads exist."""
        if not (feature_available("auth") and feature_available("uploads")):
            return
        with self.client.post(
            "/api/v1/uploads",
            data=b"hello from locust\n",
            headers={"Content-Type": "text/plain"},
            catch_response=True,
        ) as resp:
            self.check(resp, 201, want_json=True)
