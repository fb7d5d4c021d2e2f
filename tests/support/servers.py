"""Ports and process control shared by the suites that start real servers on 127.0.0.1."""

from __future__ import annotations

import random
import signal
import socket
import subprocess


class ServerError(RuntimeError):
    """A test server could not be started."""


def free_port(port_range: tuple[int, int]) -> int:
    """Return a port in PORT_RANGE (end excluded) that nothing listens on."""
    ports = list(range(*port_range))
    random.shuffle(ports)  # suites running side by side rarely pick the same port
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ServerError(f"no free port in {port_range}")


def stop_pid(
    process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20
) -> None:
    """Signal a server by pid and wait for it, killing it if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
