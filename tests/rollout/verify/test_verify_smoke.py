"""Smoke checks against a real HTTP server that answers like a colour behind a proxy."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rollout.verify.smoke import smoke
from tests.support.contract import REFERENCE


class FakeColour(BaseHTTPRequestHandler):
    """Answer the probes as the green colour would; /metrics as the server's class says."""

    metrics_status = 404
    colour = "green"

    def do_GET(self) -> None:
        """Answer one probe."""
        if self.path == "/metrics":
            self._send(self.metrics_status, "text/plain", b"app_http_requests_total 1\n")
        elif self.path == "/":
            self._send(200, "text/html; charset=utf-8", b"<html></html>")
        else:
            body = {"status": "ok", "version": "v2", "color": self.colour}
            self._send(200, "application/json", json.dumps(body).encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("X-App-Color", self.colour)
        self.send_header("X-App-Version", "v2")
        self.send_header("X-Request-ID", "r-1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def serve() -> Iterator[type[FakeColour]]:
    """Yield a handler class to tune; the server runs on an ephemeral loopback port."""
    handler = type("Handler", (FakeColour,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.base_url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("metrics_status", [404, 403])
def test_metrics_hidden_by_nginx_or_ingress_passes(
    serve: type[FakeColour], metrics_status: int
) -> None:
    serve.metrics_status = metrics_status
    verdict = smoke(REFERENCE, serve.base_url, "green", "v2", None)  # type: ignore[attr-defined]
    assert verdict.passed, verdict.reasons


def test_metrics_reachable_through_the_route_fails(serve: type[FakeColour]) -> None:
    serve.metrics_status = 200
    failures = smoke(REFERENCE, serve.base_url, "green", "v2", None).reasons  # type: ignore[attr-defined]
    assert failures == ["GET /metrics: status 200, expected 404"]


def test_metrics_served_on_the_in_cluster_route(serve: type[FakeColour]) -> None:
    """app-preview is in the cluster: Prometheus scrapes /metrics there, so it must answer."""
    serve.metrics_status = 200
    verdict = smoke(REFERENCE, serve.base_url, "green", "v2", None, metrics_served=True)  # type: ignore[attr-defined]
    assert verdict.passed, verdict.reasons
    serve.metrics_status = 404
    verdict = smoke(REFERENCE, serve.base_url, "green", "v2", None, metrics_served=True)  # type: ignore[attr-defined]
    assert verdict.reasons == ["GET /metrics: status 404, expected 200"]


def test_wrong_colour_or_version_fails(serve: type[FakeColour]) -> None:
    failures = smoke(REFERENCE, serve.base_url, "blue", "v3", None).reasons  # type: ignore[attr-defined]
    assert any("answered by 'green'" in f for f in failures)
    assert any("version 'v2'" in f for f in failures)
