"""`kubectl port-forward` to a Service on a free loopback port, started and stopped by pid."""

from __future__ import annotations

import collections
import re
import socket
import subprocess
import threading
import time

from rollout.kube.kubectl import Kubectl, KubectlError

_FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+) ->")


class PortForward:
    """One port-forward process; `url` restarts it when it died (a pod went away)."""

    def __init__(self, kubectl: Kubectl, resource: str, remote_port: int, start_s: float = 30):
        self.kubectl, self.resource, self.remote_port = kubectl, resource, remote_port
        self.start_s = start_s
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        # kubectl prints a line per connection: drained by a thread, or it blocks when the
        # pipe fills up under load. The last lines explain a death.
        self.tail: collections.deque[str] = collections.deque(maxlen=20)
        self._ready = threading.Event()

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.tail.append(line.rstrip())
            match = _FORWARDING.search(line)
            if match and not self._ready.is_set():
                self.port = int(match.group(1))
                self._ready.set()
        self._ready.set()  # EOF: the process is gone; start() notices

    def start(self) -> None:
        """Start kubectl port-forward on a kubectl-chosen loopback port; wait until it accepts."""
        self.stop()
        self._ready.clear()
        self.tail.clear()
        # Local port 0 (":80"): kubectl binds a free port itself and prints it, so no race.
        self.proc = self.kubectl.popen(
            "port-forward", self.resource, f":{self.remote_port}", "--address", "127.0.0.1"
        )
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
        if not self._ready.wait(self.start_s) or self.proc.poll() is not None or not self.port:
            tail = " | ".join(self.tail) or "no output"
            self.stop()
            raise KubectlError(f"port-forward to {self.resource} did not start: {tail}")
        deadline = time.monotonic() + self.start_s
        while not self._accepts():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = " | ".join(self.tail) or "no output"
                self.stop()
                raise KubectlError(f"port-forward to {self.resource} died: {tail}")
            time.sleep(0.1)

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def alive(self) -> bool:
        """Say whether the process runs and its port accepts connections."""
        return self.proc is not None and self.proc.poll() is None and self._accepts()

    def url(self) -> str:
        """Return http://127.0.0.1:PORT of a live forward (restarted if it died)."""
        if not self.alive():
            self.start()
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the process by its pid (SIGTERM, then SIGKILL)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
