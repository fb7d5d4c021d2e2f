"""The browser suite's live server and Chromium settings (a module name no other folder uses)."""

from __future__ import annotations

import os
import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.support.servers import free_port

PORTS = (25000, 25499)  # this suite's range
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LiveServer:
    """The app behind werkzeug's threaded WSGI server, in a background thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.port = free_port(PORTS)
        self.server: BaseWSGIServer = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Serve until stop()."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
