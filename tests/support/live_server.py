"""The app behind werkzeug's threaded WSGI server on 127.0.0.1, in a background thread."""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.support.servers import free_port


class LiveServer:
    """The app behind werkzeug's threaded WSGI server, in a background thread."""

    def __init__(self, app: Flask, port_range: tuple[int, int]) -> None:
        self.app = app
        self.port = free_port(port_range)
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
