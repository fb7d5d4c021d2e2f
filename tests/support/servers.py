"""Ports, failure and process control shared by every launcher in tests/support."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest


class ServerError(RuntimeError):
    """A test server could not be started."""


def free_port(port_range: tuple[int, int], span: int = 1) -> int:
    """Return the first of SPAN consecutive ports in PORT_RANGE (end excluded) that are free."""
    starts = list(range(port_range[0], port_range[1] - span + 1))
    random.shuffle(starts)  # suites running side by side rarely pick the same port
    for start in starts:
        sockets = []
        try:
            for port in range(start, start + span):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return start
    raise ServerError(f"no {span} free port(s) in {port_range}")


def fail(message: str) -> NoReturn:
    """A server that cannot start fails the test (never a skip, CI=true or not)."""
    pytest.fail(f"test server could not start: {message}", pytrace=False)


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


def children(pid: int) -> list[int]:
    """Return the pids whose parent is PID (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill_tree(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Signal PROCESS's group and its children's groups (rq's work horse has its own)."""
    groups = {process.pid, *(os.getpgid(child) for child in children(process.pid))}
    for group in groups:
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            continue


def env_without_otel() -> dict[str, str]:
    """Return os.environ without OTEL_* and PROMETHEUS_* variables (for subprocesses)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PROMETHEUS_"))}
