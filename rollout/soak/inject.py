"""The soak's fault injectors; each returns the fault's window (injection to recovery + settle)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable

import psycopg
import redis
from rq import Worker

from rollout.soak.accounting import Window
from rollout.soak.gatewatch import LogTail, answered_by
from rollout.soak.schedule import IN_GATE
from rollout.store import Store
from stack import LocalStack
from stack.config import HOST
from stack.nginx import ACCESS_LOG
from stack.pids import children, program_pid

SETTLE_S = 5.0  # after recovery: connection pools reconnect, queued requests drain
SLOW_S = 10.0  # how long the database stays slow
RECOVER_S = 60.0  # a fault not recovered by then is a finding, reported in its window
GATE_LEAD_S = 1.0  # after the gate's first request: all its users run (10 spawned a second)
GATE_START_S = 30.0  # locust's start-up and its sign-in, at most


class FaultError(RuntimeError):
    """A fault could not be injected or the stack did not recover from it."""


def _wait(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll check until true; return the seconds it took, or raise naming what."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise FaultError(f"{what} after {timeout:.0f}s")
        time.sleep(0.05)
    return time.monotonic() - start


class Injector:
    """Faults on one local stack; the latency proxy (a Popen) sits between the app and Postgres."""

    def __init__(self, stack: LocalStack, proxy: subprocess.Popen[bytes] | None) -> None:
        self.stack, self.proxy = stack, proxy
        self.sup = stack.supervisor

    def inject(self, kind: str) -> Window:
        """Inject one fault and wait until the stack has recovered."""
        start = time.time()
        match kind.removesuffix(IN_GATE):
            case "kill-web-active":
                detail = self.kill_web(self.stack.active_colour())
            case "restart-redis":
                detail = self.restart("redis", self._redis_ok)
            case "restart-postgres":
                # supervisor stops postgres with SIGINT: its fast shutdown (pg_ctl -m fast).
                detail = self.restart("postgres", self._postgres_ok)
            case "slow-db":
                self.slow(True)
                time.sleep(SLOW_S)
                self.slow(False)
                detail = f"+{self._delay_ms()} ms per chunk for {SLOW_S:.0f}s"
            case "kill-rq-worker":
                detail = self.kill_rq_worker()
            case _:
                raise FaultError(f"unknown fault {kind!r}")
        return Window(kind, start, time.time() + SETTLE_S, detail)

    # -- gunicorn ---------------------------------------------------------------------------------
    def kill_web(self, colour: str) -> str:
        """SIGKILL one gunicorn worker of colour; its master must fork a new one."""
        master = program_pid(self.sup, f"web-{colour}")
        workers = children(master) if master else []
        if not master or not workers:
            raise FaultError(f"web-{colour} has no running worker to kill")
        victim = workers[0]
        os.kill(victim, signal.SIGKILL)

        def respawned() -> bool:
            now = children(master)
            return victim not in now and len(now) >= len(workers)

        took = _wait(respawned, RECOVER_S, f"web-{colour}'s master did not replace worker {victim}")
        if program_pid(self.sup, f"web-{colour}") != master:
            raise FaultError(f"web-{colour}'s master was restarted, not just its worker")
        return f"worker {victim} of web-{colour} killed, replaced in {took:.1f}s"

    def kill_idle_when_up(self, idle: str, stop: threading.Event) -> Window | None:
        """Wait for the rollout to start colour idle, then SIGKILL one of its workers."""
        before = program_pid(self.sup, f"web-{idle}")
        want = self.stack.config.gunicorn_workers
        while not stop.is_set():
            master = program_pid(self.sup, f"web-{idle}")
            if master and master != before and len(children(master)) >= want:
                start = time.time()
                detail = self.kill_web(idle)
                return Window("kill-web-idle", start, time.time() + SETTLE_S, detail)
            stop.wait(0.05)
        return None

    def in_gate(self, kind: str, idle: str, store: Store, stop: threading.Event) -> Window | None:
        """Wait for the pre-switch gate's load to reach colour idle, then inject kind in it."""
        while not stop.is_set():
            current = store.load().current
            if current is not None and current.phase == "gate":
                break
            stop.wait(0.1)
        began, tail = time.time(), LogTail(self.stack.nginx.prefix / ACCESS_LOG)
        while not stop.is_set() and not answered_by(tail.lines(), idle, began):
            if time.time() - began > GATE_START_S:
                raise FaultError(f"the gate's load never reached {idle} in {GATE_START_S:.0f}s")
            stop.wait(0.1)
        return None if stop.wait(GATE_LEAD_S) else self.inject(kind)

    # -- services ---------------------------------------------------------------------------------
    def restart(self, name: str, ready: Callable[[], bool]) -> str:
        """Stop and start a supervised service, then wait until it answers."""
        start = time.monotonic()
        self.sup.stop([name], timeout=RECOVER_S)
        self.sup.start(name)
        _wait(ready, RECOVER_S, f"{name} did not answer after its restart")
        return f"{name} restarted, answering after {time.monotonic() - start:.1f}s"

    def _redis_ok(self) -> bool:
        """Tell whether Redis answers PING."""
        try:
            return bool(self._redis().ping())
        except (OSError, redis.RedisError):
            return False

    def _redis(self) -> redis.Redis:
        """Return a client of the stack's Redis."""
        creds, port = self.stack.credentials, self.stack.config.redis_port
        return redis.Redis(host=HOST, port=port, password=creds.redis_password, socket_timeout=5)

    def _postgres_ok(self) -> bool:
        """Tell whether Postgres accepts the app's connection (directly, not through the proxy)."""
        name = self.stack.contract.platform.database
        password = self.stack.credentials.postgres_app_password
        port = self.stack.config.postgres_port
        try:
            with psycopg.connect(
                host=HOST, port=port, user=name, dbname=name, password=password, connect_timeout=2
            ) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    # -- slow database ----------------------------------------------------------------------------
    def slow(self, on: bool) -> None:
        """Switch the proxy's latency on or off."""
        if self.proxy is None:
            raise FaultError("no latency proxy in front of Postgres")
        self.proxy.send_signal(signal.SIGUSR1 if on else signal.SIGUSR2)

    def _delay_ms(self) -> str:
        """Return the proxy's delay as given on its command line."""
        return str(self.proxy.args[-1]) if self.proxy is not None else "?"  # type: ignore[index]

    # -- RQ worker --------------------------------------------------------------------------------
    def kill_rq_worker(self) -> str:
        """SIGKILL the RQ worker and its work horse while a job runs; supervisor must restart it.

        Jobs take milliseconds, so the database is made slow meanwhile: a job is then caught
        running. Everything the worker forked dies with it, as in an OOM kill of its container.
        """
        pid = program_pid(self.sup, "worker")
        if pid is None:
            raise FaultError("the RQ worker is not running")
        conn = self._redis()
        self.slow(True)
        try:
            busy = _poll(lambda: any(w.get_current_job_id() for w in Worker.all(connection=conn)))
            victims = [pid, *children(pid)]
            for victim in victims:
                os.kill(victim, signal.SIGKILL)
        finally:
            self.slow(False)

        def restarted() -> bool:
            now = program_pid(self.sup, "worker")
            return now is not None and now != pid

        took = _wait(restarted, RECOVER_S, "supervisor did not restart the RQ worker")
        when = "mid-job" if busy else "idle (no job caught running)"
        return f"worker {pid} (+{len(victims) - 1} children) killed {when}, back in {took:.1f}s"


def _poll(check: Callable[[], bool], timeout: float = 20) -> bool:
    """Poll check every 20 ms for up to timeout seconds; return whether it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except redis.RedisError:
            pass
        time.sleep(0.02)
    return False
