"""One wrk run, pinned to the load generator's CPUs, and the figures read from its output."""

from __future__ import annotations

import statistics
import subprocess
from dataclasses import dataclass

from loadtests.bench_proxy import parse_wrk


@dataclass(frozen=True)
class Load:
    """How wrk loads a target: threads, connections, seconds, CPUs ("" for any)."""

    threads: int
    connections: int
    duration: int
    cpus: str = ""


@dataclass(frozen=True)
class Sample:
    """One wrk run against one target."""

    target: str
    round: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def run(url: str, load: Load, headers: dict[str, str] | None = None, duration: int = 0) -> str:
    """Run wrk against URL (bounded by a hard timeout) and return its output."""
    seconds = duration or load.duration
    cmd = ["taskset", "-c", load.cpus] if load.cpus else []
    cmd += ["wrk", "--latency", "-t", str(load.threads), "-c", str(load.connections)]
    cmd += ["-d", f"{seconds}s", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    proc = subprocess.run(  # noqa: S603 - fixed argument list
        [*cmd, url], capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed on {url}: {proc.stderr.strip()}")
    return proc.stdout


def sample(
    target: str, round_: int, url: str, load: Load, headers: dict[str, str] | None = None
) -> Sample:
    """Measure TARGET once."""
    return Sample(target, round_, *parse_wrk(run(url, load, headers)))


def combine(slices: list[Sample]) -> Sample:
    """Merge one round's slices of one target (equal lengths) into that round's sample."""
    first = slices[0]
    return Sample(
        first.target,
        first.round,
        statistics.mean(s.requests_per_s for s in slices),
        statistics.median(s.p50_ms for s in slices),
        statistics.median(s.p99_ms for s in slices),
        sum(s.requests for s in slices),
        sum(s.errors for s in slices),
    )
