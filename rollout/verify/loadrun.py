"""Run locust (one process, bounded in time) as a gate or as background load; read its verdict."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kitcore.contract import Contract
from kitcore.paths import KIT_ROOT
from rollout.verify.gates import GateConfig
from rollout.verify.verdict import Status, Verdict

LOCUST_CONF = KIT_ROOT / "loadtests" / "locust.conf"
GATE_PLUGIN = KIT_ROOT / "loadtests" / "gate.py"


@dataclass(frozen=True)
class LoadSpec:
    """The service's load, from its contract: its locustfile, user classes, colour header."""

    locustfile: Path
    users: tuple[str, ...] = ()
    colour_header: str = ""

    @classmethod
    def of(cls, contract: Contract) -> LoadSpec:
        """Read the load from the contract's [gate] and [health] tables."""
        gate = contract.gate
        return cls(contract.path(gate.locustfile), tuple(gate.users), contract.health.colour_header)


@dataclass
class LoadResult:
    """A finished locust run: its verdict (from locust's stats), timeline and artefacts."""

    gate: str
    passed: bool
    reasons: list[str]
    measures: dict[str, float]
    errors: list[dict[str, Any]] = field(default_factory=list)
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    skipped_features: dict[str, str] = field(default_factory=dict)
    created_ids: list[str] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    html: Path | None = None
    exit_code: int = 0
    no_verdict: bool = False

    @property
    def verdict(self) -> Verdict:
        """The gate's verdict (an error when locust produced none)."""
        status = Status.PASSED if self.passed else Status.FAILED
        status = Status.ERROR if self.no_verdict else status
        return Verdict(f"gate {self.gate}", status, "; ".join(self.reasons) or "ok", self.reasons)

    @classmethod
    def from_verdict(cls, path: Path, html: Path, exit_code: int) -> LoadResult:
        """Read the verdict file the gate plugin wrote when locust quit."""
        raw = json.loads(path.read_text())
        return cls(
            gate=raw["gate"],
            passed=bool(raw["passed"]) and exit_code == 0,
            reasons=list(raw["reasons"]) or ([f"locust exit {exit_code}"] if exit_code else []),
            measures=raw["measures"],
            errors=raw["errors"],
            endpoints=raw.get("endpoints", []),
            skipped_features=raw["skipped_features"],
            created_ids=raw["created_ids"],
            timeline=raw["timeline"],
            html=html,
            exit_code=exit_code,
        )

    @classmethod
    def crashed(cls, gate: str, why: str, exit_code: int) -> LoadResult:
        """A run that produced no verdict: it fails its gate."""
        return cls(
            gate=gate,
            passed=False,
            reasons=[why],
            measures={},
            exit_code=exit_code,
            no_verdict=True,
        )


class LocustRun:
    """One locust subprocess against a host, with the gate plugin's verdict file."""

    def __init__(
        self,
        cfg: GateConfig,
        host: str,
        ca_cert: Path | None,
        out_dir: Path,
        env: dict[str, str] | None = None,
        *,
        load: LoadSpec,
    ) -> None:
        self.cfg = cfg
        # Credentials travel in the environment, never on the command line (ps shows argv).
        self.env = {**os.environ, **(env or {})}
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.verdict = out_dir / f"locust-{cfg.name}.json"
        self.html = out_dir / f"locust-{cfg.name}.html"
        self.log = out_dir / f"locust-{cfg.name}.log"
        # The kit's gate plugin is loaded beside the service's own locustfile.
        self.cmd = [
            sys.executable, "-m", "locust", "--config", str(LOCUST_CONF),
            "-f", f"{GATE_PLUGIN},{load.locustfile}",
            "--headless", "-H", host,
            "-u", str(cfg.users), "-r", str(cfg.spawn_rate), "-t", f"{cfg.duration_s}s",
            "--gate-json", cfg.to_json(), "--verdict-file", str(self.verdict),
            "--colour-header", load.colour_header,
            "--html", str(self.html), "--only-summary", *load.users,
        ]  # fmt: skip
        if ca_cert:
            self.cmd += ["--ca-cert", str(ca_cert)]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start locust in the background."""
        with open(self.log, "wb") as log:
            # Own session: a Ctrl-C on the rollout must not kill the load mid-measurement.
            self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                self.cmd, stdout=log, stderr=subprocess.STDOUT, cwd=KIT_ROOT, env=self.env,
                start_new_session=True,
            )  # fmt: skip

    def wait(self, grace: float = 30, cancel: threading.Event | None = None) -> LoadResult:
        """Wait for locust to end by itself (-t bound plus a grace period); read its verdict.

        A set `cancel` stops it early (SIGINT, as stop()): checked every half second.
        """
        assert self.proc is not None
        deadline = time.monotonic() + self.cfg.duration_s + grace
        while cancel is None or not cancel.is_set():
            left = deadline - time.monotonic()
            try:
                return self._result(self.proc.wait(timeout=min(left, 0.5) if cancel else left))
            except subprocess.TimeoutExpired:
                if time.monotonic() < deadline:
                    continue
                self.proc.kill()
                self.proc.wait()
                return LoadResult.crashed(self.cfg.name, "locust did not stop in time", -9)
        return self.stop()

    def stop(self, timeout: float = 30) -> LoadResult:
        """Ask locust to quit now (SIGINT: HTML report, then quitting hooks); read its verdict."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        return self._result(code)

    def running(self) -> bool:
        """Say whether locust is still running."""
        return self.proc is not None and self.proc.poll() is None

    def _result(self, code: int) -> LoadResult:
        if not self.verdict.exists():
            tail = self.log.read_text(errors="replace")[-600:] if self.log.exists() else ""
            return LoadResult.crashed(self.cfg.name, f"locust wrote no verdict: {tail}", code)
        return LoadResult.from_verdict(self.verdict, self.html, code)


def run_gate(
    cfg: GateConfig,
    host: str,
    ca_cert: Path | None,
    out_dir: Path,
    env: dict[str, str] | None = None,
    *,
    load: LoadSpec,
    cancel: threading.Event | None = None,
) -> LoadResult:
    """Run one bounded gate and return its verdict (stopped early once `cancel` is set)."""
    run = LocustRun(cfg, host, ca_cert, out_dir, env, load=load)
    run.start()
    started = time.monotonic()
    try:
        result = run.wait(cancel=cancel)
    except BaseException:
        run.stop()  # Ctrl-C or a crash: never leave a load generator running behind
        raise
    result.measures.setdefault("wall_s", time.monotonic() - started)
    return result
