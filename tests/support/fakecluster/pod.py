"""HTTP as the fake cluster's pods answer it: through a port-forward, or through the ingress.

A pod answers as its image's release would: the contract's health routes with the image's
version and the pod's colour, the contract's headers, and the status an image marked broken
answers everywhere else. `kubectl port-forward service/NAME` binds to one Ready pod when it
starts and dies when told to (like kubectl when its pod goes away); the ingress picks a Ready
pod behind the active Service on every request, so it follows switches.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kitcore.contract import Contract, load_contract
from tests.support.fakecluster.world import Obj, World

Answer = tuple[int, dict[str, str], bytes]


def answer(contract: Contract, data: dict[str, Any], pod: Obj, path: str) -> Answer:
    """What a pod running its image answers on a path."""
    image = pod["spec"]["containers"][0]["image"]
    health = contract.health
    identity = {
        health.version_field: data["versions"].get(image, "unknown"),
        health.colour_field: pod["metadata"]["labels"].get("color", ""),
    }
    types = {c.path: c.content_type for c in contract.smoke}
    status, ctype, body = 200, types.get(path) or "application/json", b"{}"
    if path in (health.identity, health.liveness, health.readiness):
        body = json.dumps({"status": "ok", **identity}).encode()
    elif data["broken"].get(image):
        status = int(data["broken"][image])
    elif ctype.startswith("text/html"):
        body = b"<html>home</html>"
    elif path == health.metrics or ctype.startswith("text/plain"):
        ctype = "text/plain; version=0.0.4"
        body = b"app_http_requests_total 1\n"
    headers = {
        "Content-Type": ctype,
        health.version_header: str(identity[health.version_field]),
        health.colour_header: str(identity[health.colour_field]),
        **({health.request_id_header: "fake-request"} if health.request_id_header else {}),
    }
    return status, headers, body


def server(
    resolve: Callable[[str], Answer | None], after: Callable[[], None], chatty: bool
) -> ThreadingHTTPServer:
    """An HTTP server whose answers come from resolve(path) (None: 503, nothing behind)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = resolve(self.path.split("?")[0])
            status, headers, body = found or (503, {"Content-Type": "text/plain"}, b"no pod\n")
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            after()

        def log_message(self, *_: Any) -> None:
            if chatty:  # kubectl prints a line per connection; the ingress says nothing
                print(f"Handling connection for {self.server.server_address[1]}", flush=True)

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def port_forward(world_file: Path, args: list[str]) -> int:
    """Serve as one Ready pod of the Service until the process is stopped."""
    service = args[1].partition("/")[2]
    with World.open(world_file) as world:
        mode = str(world.data["fail"].get("portforward", ""))
        ready = [pod for pod, ok in world.endpoints(service) if ok]
        contract = load_contract(Path(world.data["contract"]))
        data = world.data
    if mode == "refuse" or not ready:
        print(f"error: unable to forward port because pod is not running: service/{service}")
        return 1
    budget = [int(mode.partition(":")[2])] if mode.startswith("die:") else [10**9]

    def resolve(path: str) -> Answer:
        budget[0] -= 1
        if budget[0] < 0:
            os._exit(1)  # the pod is already gone: the connection resets
        return answer(contract, data, ready[0], path)

    def after() -> None:
        if budget[0] <= 0:  # the forwarded pod went away: kubectl exits
            threading.Timer(0.05, os._exit, args=(1,)).start()

    srv = server(resolve, after, chatty=True)
    print(f"Forwarding from 127.0.0.1:{srv.server_address[1]} -> 8000", flush=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    threading.Event().wait()
    return 0


def ingress(world_file: Path, service: str) -> ThreadingHTTPServer:
    """The public route: each request goes to a Ready pod the Service selects right now."""
    with World.open(world_file) as world:
        contract = load_contract(Path(world.data["contract"]))

    def resolve(path: str) -> Answer | None:
        if path == contract.health.metrics:  # the public route never exposes metrics
            return 404, {"Content-Type": "text/plain"}, b"not found\n"
        with World.open(world_file) as world:
            ready = [pod for pod, ok in world.endpoints(service) if ok]
            return answer(contract, world.data, ready[0], path) if ready else None

    return server(resolve, lambda: None, chatty=False)
