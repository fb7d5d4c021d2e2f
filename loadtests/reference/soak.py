"""The reference service's soak load: reads, authenticated writes, uploads whose jobs run.

`make soak` (rollout/soak/service.py) imports this file beside the locustfile and runs its
SoakLoad through the public route for the whole soak.

Every request is recorded (time, method, path, status, colour, ok); every accepted write (201)
and every queued job is remembered so the soak can read them all back at the end.
"""

from __future__ import annotations

import random
import ssl
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import requests
import urllib3
from urllib3.exceptions import MaxRetryError, ProtocolError

from rollout.soak.accounting import Request

TIMEOUT_S = 10.0
# Sent once more when the connection closed before any answer, as browsers and the gates'
# locust client (geventhttpclient) do: a pooled keep-alive connection that the server retired
# (an Nginx reload at a switch) just as the request went out. Idempotent methods (RFC 9110
# 9.2.2), and writes that are safe to send twice: with an Idempotency-Key (the service does
# them once, app/api/idempotency.py), or idempotent by what they do (said where they are sent).
RESENDABLE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
IDEMPOTENCY_KEY = "Idempotency-Key"
TOKEN_REFRESH_S = 600  # access tokens live 15 minutes (AUTH_ACCESS_TOKEN_MINUTES)
DONE_UPLOAD = {"processed", "rejected"}  # the job ran and decided


@dataclass
class Recorded:
    """What the load saw, shared by its threads (append-only lists, guarded by a lock)."""

    requests: list[Request] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    uploads: list[int] = field(default_factory=list)
    jobs: list[int] = field(default_factory=list)  # upload ids whose /complete queued a job
    lock: threading.Lock = field(default_factory=threading.Lock)


def unanswered(exc: requests.ConnectionError) -> bool:
    """Tell whether the connection closed before any answer (not a refusal or a timeout).

    Over TLS the same race can surface as an EOF while the request is written (SSLEOFError),
    wrapped by urllib3 in a MaxRetryError.
    """
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    if isinstance(cause, urllib3.exceptions.SSLError) and cause.args:
        cause = cause.args[0]
    return isinstance(cause, ProtocolError | ssl.SSLEOFError)


class SoakLoad:
    """Threads of mixed load against the public URL until stopped."""

    # Each gate run signs the load account in once (the gate, its control, the post-switch
    # gate: three or more per rollout), all from 127.0.0.1. At a soak's pace (a rollout every
    # ~45 s) that spends the per-address sign-in limit (AUTH_LOGIN_RATE_LIMIT, 50/hour) in
    # about 20 minutes, after which every gate fails on its refused sign-in. The soak is one
    # client rolling out far faster than any team does: its own stack gets a higher limit.
    APP_ENV: ClassVar[dict[str, str]] = {"AUTH_LOGIN_RATE_LIMIT": "60/minute;1000/hour"}

    def __init__(
        self, base: str, ca: Path, creds: dict[str, str], colour_header: str, seed: int = 0
    ) -> None:
        self.base, self.ca, self.creds = base, str(ca), creds
        self.colour_header = colour_header
        self.rec = Recorded()
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        self.token = ""
        self.token_at = 0.0
        self.random = random.Random(seed)  # noqa: S311 - load shape, not security

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Sign in, then start the readers, the writer and the uploader."""
        self.sign_in()
        loops = [self.reader, self.reader, self.writer, self.uploader]
        for i, loop in enumerate(loops):
            thread = threading.Thread(target=self._run, args=(loop,), name=f"soak-load-{i}")
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        """Stop every thread and wait for them (each request is bounded by TIMEOUT_S)."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join(TIMEOUT_S + 5)

    def _run(self, loop: Any) -> None:
        """Run one loop body until stopped, with its own session (requests is not shared)."""
        # Loopback only: no proxy from the environment, and REQUESTS_CA_BUNDLE would replace
        # a session's verify (requests' merge of environment settings), so none of it is read.
        session = requests.Session()
        session.trust_env = False
        with session:
            while not self.stop_event.is_set():
                loop(session)

    # -- requests ------------------------------------------------------------------------------
    def call(
        self,
        session: requests.Session,
        method: str,
        path: str,
        expect: int,
        resend: bool | None = None,
        **kw: Any,
    ) -> Any:
        """Send one request, record it, and return its JSON body when it had the status.

        resend: whether it may be sent twice (default: idempotent, or carries a key).
        """
        url = path if path.startswith("http") else self.base + path
        name = kw.pop("name", path)
        if resend is None:
            resend = method in RESENDABLE or IDEMPOTENCY_KEY in kw.get("headers", {})
        start = time.time()
        status, colour, body, error, resent = 0, "", None, "", 0
        while True:
            try:
                resp = session.request(method, url, timeout=TIMEOUT_S, verify=self.ca, **kw)
                status, colour = resp.status_code, resp.headers.get(self.colour_header, "")
                if status == expect and "json" in resp.headers.get("Content-Type", ""):
                    body = resp.json()
            except (requests.RequestException, ValueError) as exc:
                closed = isinstance(exc, requests.ConnectionError) and unanswered(exc)
                if closed and resend and not resent:
                    resent += 1
                    continue
                error = f"{type(exc).__name__}: {exc}"[:160]  # status 0 / not ok below
            break
        ok = status == expect
        req = Request(start, time.time() - start, method, name, status, colour, ok, error, resent)
        with self.rec.lock:
            self.rec.requests.append(req)
        return body if ok else None

    def auth(self, key: bool = False) -> dict[str, str]:
        """Return the bearer header (and a new Idempotency-Key), signing in again in time."""
        if time.time() - self.token_at > TOKEN_REFRESH_S:
            self.sign_in()
        headers = {"Authorization": f"Bearer {self.token}"}
        if key:
            headers[IDEMPOTENCY_KEY] = uuid.uuid4().hex
        return headers

    def sign_in(self) -> None:
        """Get a token for the load-test account (registered the first time)."""
        creds = {
            "email": self.creds["LOCUST_USER_EMAIL"],
            "password": self.creds["LOCUST_USER_PASSWORD"],
        }
        token_url = self.base + "/api/v1/auth/token"
        with requests.Session() as s:
            s.trust_env, s.verify = False, self.ca
            resp = s.post(token_url, json=creds, timeout=TIMEOUT_S)
            if resp.status_code == 401:
                register = {**creds, "name": "Soak"}
                s.post(self.base + "/api/v1/auth/register", json=register, timeout=TIMEOUT_S)
                resp = s.post(token_url, json=creds, timeout=TIMEOUT_S)
            resp.raise_for_status()
            self.token, self.token_at = resp.json()["access_token"], time.time()

    # -- loops -----------------------------------------------------------------------------------
    def reader(self, s: requests.Session) -> None:
        """Anonymous reads: home page, item list, one of the items written so far."""
        self.call(s, "GET", "/", 200)
        self.call(s, "GET", "/api/v1/items?page=1", 200)
        if self.rec.items:
            item = self.random.choice(self.rec.items)
            self.call(s, "GET", f"/api/v1/items/{item}", 200, name="/api/v1/items/[id]")
        self.stop_event.wait(0.1)

    def writer(self, s: requests.Session) -> None:
        """Create an item as the load-test account; every 201 is remembered."""
        body = {"title": f"soak-{uuid.uuid4().hex[:12]}", "body": "written by the soak"}
        created = self.call(s, "POST", "/api/v1/items", 201, json=body, headers=self.auth(True))
        if isinstance(created, dict) and "id" in created:
            with self.rec.lock:
                self.rec.items.append(int(created["id"]))
        self.stop_event.wait(0.25)

    def uploader(self, s: requests.Session) -> None:
        """Declare an upload, post its bytes to the bucket, complete it: one job queued."""
        declared = {"filename": "soak.txt", "content_type": "text/plain", "size": 18}
        signed = self.call(
            s, "POST", "/api/v1/uploads", 201, json=declared, headers=self.auth(True)
        )
        if isinstance(signed, dict) and "id" in signed:
            upload = int(signed["id"])
            with self.rec.lock:
                self.rec.uploads.append(upload)
            files = {"file": ("soak.txt", b"soak upload bytes\n", "text/plain")}
            # Both safe to send twice: the form names one object key (the same bytes land
            # there again), and completing claims the upload once (a second call says so).
            self.call(s, "POST", signed["url"], 204, True, data=signed["fields"], files=files,
                      name="bucket form post")  # fmt: skip
            done = self.call(s, "POST", f"/api/v1/uploads/{upload}/complete", 202, True,
                             headers=self.auth(), name="/api/v1/uploads/[id]/complete")  # fmt: skip
            if isinstance(done, dict) and done.get("job_id"):
                with self.rec.lock:
                    self.rec.jobs.append(upload)
        self.stop_event.wait(1.0)

    # -- read back -------------------------------------------------------------------------------
    def writes_found(self) -> int:
        """Read every accepted write back (items and uploads); return how many are there."""
        paths = [f"/api/v1/items/{i}" for i in self.rec.items]
        paths += [f"/api/v1/uploads/{u}" for u in self.rec.uploads]
        with ThreadPoolExecutor(4) as pool:
            return sum(pool.map(lambda p: self._get(p) is not None, paths))

    def jobs_completed(self, wait_s: float) -> int:
        """Wait up to wait_s for every queued job to decide its upload; return how many did."""
        pending = list(self.rec.jobs)
        deadline = time.monotonic() + wait_s
        done = 0
        while pending:
            left = []
            for upload in pending:
                body = self._get(f"/api/v1/uploads/{upload}")
                if body is not None and body.get("status") in DONE_UPLOAD:
                    done += 1
                else:
                    left.append(upload)
            pending = left
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(2)
        return done

    def _get(self, path: str) -> dict[str, Any] | None:
        """GET path as the load-test account (retried a little: the stack may be settling)."""
        for _ in range(3):
            try:
                with requests.Session() as s:
                    s.trust_env = False  # see _run
                    resp = s.get(
                        self.base + path, headers=self.auth(), verify=self.ca, timeout=TIMEOUT_S
                    )
            except requests.RequestException:
                time.sleep(1)
                continue
            if resp.status_code == 200:
                body = resp.json()
                return body if isinstance(body, dict) else None
            if resp.status_code == 404:
                return None
            time.sleep(1)
        return None
