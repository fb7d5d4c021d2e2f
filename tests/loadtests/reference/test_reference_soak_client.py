"""The soak's client: a read whose connection closed unanswered is sent once more, a write never."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import urllib3
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from loadtests.reference.soak import SoakLoad, unanswered

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class Retiring:
    """An HTTP/1.1 server that closes without an answer the requests it is told to drop."""

    def __init__(self, drop: set[int]) -> None:
        self.drop, self.seen = drop, 0
        self.keys: list[str] = []  # the Idempotency-Key of each request that carried one
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        with conn:
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = next((int(h.split(b":")[1]) for h in head.split(b"\r\n")
                               if h.lower().startswith(b"content-length")), 0)  # fmt: skip
                while len(buf) < length:
                    buf += conn.recv(65536)
                buf = buf[length:]
                self.seen += 1
                self.keys += [h.split(b":", 1)[1].strip().decode() for h in head.split(b"\r\n")
                              if h.lower().startswith(b"idempotency-key")]  # fmt: skip
                if self.seen in self.drop:
                    return  # the keep-alive connection retired as the request arrived
                conn.sendall(OK)


@pytest.fixture
def load(tmp_path: Path) -> Iterator[tuple[SoakLoad, requests.Session, Retiring]]:
    server = Retiring(drop={2})
    soak = SoakLoad(f"http://127.0.0.1:{server.port}", tmp_path / "ca.pem", {}, "X-App-Color")
    with requests.Session() as session:
        session.trust_env = False
        yield soak, session, server
    server.sock.close()


def test_a_read_on_a_retired_connection_is_resent_once_and_counted(
    load: tuple[SoakLoad, requests.Session, Retiring],
) -> None:
    soak, session, server = load
    assert soak.call(session, "GET", "/a", 200) == {}  # answered: the connection is pooled
    assert soak.call(session, "GET", "/b", 200) == {}  # dropped on reuse, resent, answered
    first, second = soak.rec.requests
    assert (first.resent, second.resent) == (0, 1)
    assert (second.ok, second.status, second.error) == (True, 200, "")
    assert server.seen == 3


def test_a_write_without_a_key_on_a_retired_connection_is_not_resent(
    load: tuple[SoakLoad, requests.Session, Retiring],
) -> None:
    soak, session, server = load
    soak.call(session, "GET", "/a", 200)
    assert soak.call(session, "POST", "/items", 200, json={"title": "x"}) is None
    write = soak.rec.requests[-1]
    assert (write.ok, write.status, write.resent) == (False, 0, 0)
    assert "Connection aborted" in write.error
    assert server.seen == 2  # it might have been processed: never sent twice


def test_a_refused_connection_is_a_failure_not_a_resend(tmp_path: Path) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    soak = SoakLoad(f"http://127.0.0.1:{port}", tmp_path / "ca.pem", {}, "X-App-Color")
    with requests.Session() as session:
        session.trust_env = False
        assert soak.call(session, "GET", "/a", 200) is None
    (req,) = soak.rec.requests
    assert (req.ok, req.resent) == (False, 0)
    assert "ConnectionError" in req.error


def test_a_write_with_an_idempotency_key_is_resent_with_the_same_key(
    load: tuple[SoakLoad, requests.Session, Retiring],
) -> None:
    soak, session, server = load
    soak.call(session, "GET", "/a", 200)
    soak.token, soak.token_at = "t", float("inf")  # signed in: auth() needs no server
    headers = soak.auth(key=True)
    assert soak.call(session, "POST", "/items", 200, json={"title": "x"}, headers=headers) == {}
    assert soak.rec.requests[-1].resent == 1
    assert server.seen == 3
    assert len(server.keys) == 2
    assert server.keys[0] == server.keys[1] == headers["Idempotency-Key"]


def test_a_write_declared_safe_twice_is_resent(
    load: tuple[SoakLoad, requests.Session, Retiring],
) -> None:
    soak, session, _ = load
    soak.call(session, "GET", "/a", 200)
    assert soak.call(session, "POST", "/bucket", 200, True, data={"key": "k"}) == {}
    assert soak.rec.requests[-1].resent == 1


def test_an_eof_while_writing_over_tls_is_unanswered_a_refusal_is_not() -> None:
    eof = ssl.SSLEOFError(8, "EOF occurred in violation of protocol")
    wrapped = MaxRetryError(None, "/api/v1/uploads", urllib3.exceptions.SSLError(eof))  # type: ignore[arg-type]
    assert unanswered(requests.exceptions.SSLError(wrapped))
    closed = ProtocolError("Connection aborted.", ConnectionResetError())
    assert unanswered(requests.ConnectionError(closed))
    refused = MaxRetryError(None, "/", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    assert not unanswered(requests.ConnectionError(refused))
    bad_cert = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cert = MaxRetryError(None, "/", urllib3.exceptions.SSLError(bad_cert))  # type: ignore[arg-type]
    assert not unanswered(requests.exceptions.SSLError(cert))
