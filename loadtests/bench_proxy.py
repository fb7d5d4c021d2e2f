"""Benchmark (not a test): requests/s and p99 through Nginx versus straight to gunicorn.

Measures, in one run with wrk, the same endpoints (the contract's liveness route and its first
JSON smoke check) on the active colour directly
(http://127.0.0.1:PORT) and through the local stack's Nginx (HTTPS, keep-alive), alternating
the two for a few rounds so machine noise hits both, and reports the ratios of the medians.
Uses the running local stack (`make up`); starts one for the run if none is up.

    .venv/bin/python loadtests/bench_proxy.py [--duration 5] [--rounds 3] [--connections 32]

Writes reports/bench_proxy.json and reports/bench_proxy.md and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kitcore.contract import Contract, load_contract
from stack import LocalStack, StackConfig, StackError

REPO = Path(__file__).resolve().parents[1]
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class Result:
    """One wrk run: where, what, and the figures."""

    target: str
    endpoint: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors plus non-2xx/3xx responses


def parse_wrk(output: str) -> tuple[float, float, float, int, int]:
    """Return (requests/s, p50 ms, p99 ms, requests, errors) from `wrk --latency` output."""

    def latency(pct: str) -> float:
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", output, flags=re.MULTILINE)
        if not match:
            raise ValueError(f"no {pct}% latency in wrk output:\n{output}")
        return float(match.group(1)) * _UNITS[match.group(2)]

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, flags=re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, flags=re.MULTILINE)
    if not rps or not total:
        raise ValueError(f"unexpected wrk output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non2xx.group(1)) if non2xx else 0
    return float(rps.group(1)), latency("50"), latency("99"), int(total.group(1)), errors


def run_wrk(url: str, duration: int, connections: int, threads: int) -> str:
    """Run wrk against url for duration seconds (bounded by a hard timeout)."""
    cmd = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s"]
    cmd += ["--timeout", "5s", url]
    proc = subprocess.run(  # noqa: S603 - fixed argument list
        cmd, capture_output=True, text=True, timeout=duration + 30, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"error: wrk failed on {url}: {proc.stderr.strip()}")
    return proc.stdout


def endpoints(contract: Contract) -> list[str]:
    """Return the routes to measure: liveness, and the first JSON smoke check beyond health."""
    health = {contract.health.liveness, contract.health.readiness, contract.health.identity}
    api = [
        s.path for s in contract.smoke
        if s.status == 200 and "json" in s.content_type and s.path not in health
    ]  # fmt: skip
    return [contract.health.liveness, *api[:1]]


def measure(stack: LocalStack, args: argparse.Namespace) -> list[Result]:
    """Per endpoint, alternate straight and proxied wrk runs for some rounds (drift cancels)."""
    targets = {
        "gunicorn": stack.colour_url(stack.active_colour()),
        "nginx": stack.public_url,
    }
    results = []
    for endpoint in endpoints(stack.contract):
        for base in targets.values():
            run_wrk(base + endpoint, 1, args.connections, args.threads)  # warm-up, discarded
        for _ in range(args.rounds):
            for name, base in targets.items():
                out = run_wrk(base + endpoint, args.duration, args.connections, args.threads)
                results.append(Result(name, endpoint, *parse_wrk(out)))
    return results


def median_result(results: list[Result], target: str, endpoint: str) -> Result:
    """Combine a target's rounds on one endpoint: median rate and p99, summed counts."""
    runs = [r for r in results if r.target == target and r.endpoint == endpoint]
    return Result(
        target,
        endpoint,
        statistics.median(r.requests_per_s for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        sum(r.requests for r in runs),
        sum(r.errors for r in runs),
    )


def ratios(results: list[Result]) -> list[dict[str, object]]:
    """Pair each endpoint's medians: nginx/gunicorn for throughput and p99."""
    rows = []
    for endpoint in dict.fromkeys(r.endpoint for r in results):
        direct = median_result(results, "gunicorn", endpoint)
        proxied = median_result(results, "nginx", endpoint)
        rows.append(
            {
                "endpoint": endpoint,
                "gunicorn_rps": direct.requests_per_s,
                "nginx_rps": proxied.requests_per_s,
                "rps_ratio": round(proxied.requests_per_s / direct.requests_per_s, 3),
                "gunicorn_p99_ms": direct.p99_ms,
                "nginx_p99_ms": proxied.p99_ms,
                "p99_ratio": round(proxied.p99_ms / direct.p99_ms, 3),
                "gunicorn_errors": direct.errors,
                "nginx_errors": proxied.errors,
            }
        )
    return rows


def report(rows: list[dict[str, object]], meta: dict[str, object], out_dir: Path) -> Table:
    """Write JSON and markdown reports; return the table to print."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_proxy.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    head = ["endpoint", "direct req/s", "nginx req/s", "ratio", "direct p99", "nginx p99"]
    head += ["p99 ratio", "errors direct/nginx"]
    lines = [f"# Nginx vs straight gunicorn ({meta['when']})", "", f"`{meta['command']}`", ""]
    lines += [f"| {' | '.join(head)} |", f"|{'---|' * len(head)}"]
    table = Table(title="through Nginx (HTTPS) vs straight to gunicorn")
    for column in head:
        table.add_column(column)
    for r in rows:
        cells = [
            str(r["endpoint"]),
            f"{r['gunicorn_rps']:.0f}",
            f"{r['nginx_rps']:.0f}",
            f"{r['rps_ratio']:.2f}",
            f"{r['gunicorn_p99_ms']:.1f} ms",
            f"{r['nginx_p99_ms']:.1f} ms",
            f"{r['p99_ratio']:.2f}",
            f"{r['gunicorn_errors']}/{r['nginx_errors']}",
        ]
        table.add_row(*cells)
        lines.append(f"| {' | '.join(cells)} |")
    lines += [
        "",
        f"wrk {meta['wrk']}, median of {meta['rounds']} alternating rounds per target; "
        f"{meta['cpus']} CPUs, load average {meta['load_average_1m']} at the end",
    ]
    (out_dir / "bench_proxy.md").write_text("\n".join(lines) + "\n")
    return table


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark against the local stack and report the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per target")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "reports")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 60 or not 1 <= args.rounds <= 10:
        parser.error("--duration must be 1-60 seconds and --rounds 1-10")
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    console = Console()
    try:
        contract = load_contract(None)
        stack = LocalStack(StackConfig.from_env(contract.root), contract, echo=console.print)
        started = not stack.status().running
        if started:
            console.print("no local stack running: starting one for the benchmark")
            stack.up()
        try:
            results = measure(stack, args)
        finally:
            if started:
                stack.down()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = ratios(results)
    meta: dict[str, object] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["python loadtests/bench_proxy.py", *(argv or sys.argv[1:])]),
        "wrk": f"-t{args.threads} -c{args.connections} -d{args.duration}s --latency",
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        # Other work on the machine skews both sides; the alternation keeps the ratio fair-ish.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "results": [asdict(r) for r in results],
    }
    Console(width=max(console.width, 110)).print(report(rows, meta, args.out))
    console.print(f"reports: {args.out}/bench_proxy.json, {args.out}/bench_proxy.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
