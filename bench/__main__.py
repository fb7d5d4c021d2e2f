"""Benchmark (not a test): what the kit's app, its DB read and its proxy cost, in one run.

    .venv/bin/python -m bench [--rounds 5] [--duration 5]        (make bench)
    .venv/bin/python -m bench --mode workers                     (make bench-workers)

Starts its own PostgreSQL, gunicorns (the kit's config, one worker each by default) and Nginx
on 127.0.0.1:24500-24599, pinned to CPU 0 while wrk runs on CPU 1, alternates the targets
round by round (the order flips every round so drift hits both sides) and prints each pair's
median ratio with the range of its per-round ratios. Writes reports/bench.{json,md}.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from bench import report, servers, wrk
from bench.report import Pair

PG_PORT, REDIS_PORT, KIT_PORT, BARE_PORT = 24510, 24511, 24521, 24522
NGINX_PORTS = (24580, 24543, 24544, 24581)  # HTTP redirect, HTTPS, preview, bench's plain HTTP
WORKER_MODES = {  # label -> (worker class, workers, threads)
    "sync-2": ("sync", 2, 1),
    "gthread-2x4": ("gthread", 2, 4),
    "gthread-1x8": ("gthread", 1, 8),
}
Targets = dict[str, tuple[str, dict[str, str]]]  # name -> (URL, request headers)
Setup = tuple[Targets, list[Pair]]
SLICE_S = 1  # seconds per wrk run: a round interleaves the targets second by second
NEVER_RECYCLE = 10**9  # requests: beyond any run
USER = {"email": "bench@example.com", "password": "bench-password-1234"}


def call(url: str, body: Mapping[str, object] | None = None, token: str = "") -> dict[str, object]:
    """POST BODY as JSON (or GET without one) and return the JSON answer."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        result: dict[str, object] = json.loads(answer.read() or b"{}")
        return result


def seed(base: str, items: int) -> str:
    """Register the bench user, create ITEMS items, return a bearer token."""
    call(f"{base}/api/v1/auth/register", USER)
    token = str(call(f"{base}/api/v1/auth/token", USER)["access_token"])
    for n in range(items):
        call(f"{base}/api/v1/items", {"title": f"item {n}", "body": "x" * 200}, token)
    return token


def kit_env(
    database_url: str, redis_url: str, worker_class: str, workers: int, threads: int
) -> dict[str, str]:
    """Return the environment of every gunicorn of the run (the same for kit and baseline)."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE", "REDIS"))}
    return keep | {
        "APP_ENV": "production",
        "SECRET_KEY": "bench-" + "k" * 40,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "AUTH_ACCESS_TOKEN_MINUTES": "120",
        "GUNICORN_WORKER_CLASS": worker_class,
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_ACCESSLOG": "/dev/null",
        # The only worker must not be recycled mid-round (max_requests, 10,000 by default):
        # its restart would measure how long an app takes to boot, not what a request costs.
        # Startup is measured on its own (container to /readyz, tests/docker).
        "GUNICORN_MAX_REQUESTS": str(NEVER_RECYCLE),
        "FLASK_APP": "app.wsgi",
    }


def migrate(env: dict[str, str]) -> None:
    """Apply the kit's migrations to the run's database."""
    flask = [sys.executable, "-m", "flask", "db", "upgrade"]
    done = subprocess.run(  # noqa: S603 - fixed argument list
        flask, env=env, cwd=servers.REPO, check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise servers.BenchError(f"migrations failed: {done.stderr[-800:]}")


def measure(targets: Targets, args: argparse.Namespace, load: wrk.Load) -> list[wrk.Sample]:
    """Warm every target up, then run ROUNDS rounds of interleaved one-second slices.

    A round gives each target DURATION slices of one second, taking the targets in turn
    (kit, bare, kit, bare...; the order flips every round), so a slowdown of the machine that
    lasts longer than a second hits both sides of a pair alike.
    """
    samples = []
    names = list(targets)
    slice_load = dataclasses.replace(load, duration=SLICE_S)
    with Progress(transient=False) as progress:
        task = progress.add_task("wrk", total=len(names) * (args.rounds * args.duration + 1))
        for name in names:
            progress.update(task, description=f"warm-up {name}")
            url, headers = targets[name]
            wrk.run(url, load, headers, duration=2)
            progress.advance(task)
        for n in range(args.rounds):
            slices: dict[str, list[wrk.Sample]] = {name: [] for name in names}
            for _ in range(args.duration):
                for name in names if n % 2 == 0 else reversed(names):
                    progress.update(task, description=f"round {n + 1}/{args.rounds}: {name}")
                    url, headers = targets[name]
                    slices[name].append(wrk.sample(name, n, url, slice_load, headers))
                    progress.advance(task)
            samples += [wrk.combine(slices[name]) for name in names]
    return samples


def app_and_proxy(procs: servers.Processes, args: argparse.Namespace, db: tuple[str, str]) -> Setup:
    """Set up (a) kit vs bare /healthz, (b) kit vs baseline list, (c) Nginx vs straight."""
    env = kit_env(*db, args.worker_class, 1, args.threads)
    migrate(env)
    kit = f"http://{servers.HOST}:{KIT_PORT}"
    bare = f"http://{servers.HOST}:{BARE_PORT}"
    servers.gunicorn(procs, "bench.kit:app", KIT_PORT, env, args.server_cpus)
    servers.gunicorn(procs, "bench.baseline:app", BARE_PORT, env, args.server_cpus)
    token = seed(kit, 20)
    https, plain = servers.start_nginx(procs, KIT_PORT, NGINX_PORTS, args.server_cpus)
    auth = {"Authorization": f"Bearer {token}"}
    targets = {
        "kit /healthz": (f"{kit}/healthz", {}),
        "bare /healthz": (f"{bare}/healthz", {}),
        "kit items": (f"{kit}/api/v1/items", auth),
        "baseline items": (f"{bare}/api/v1/items", auth),
        "nginx https items": (f"{https}/api/v1/items", auth),
        "nginx http items": (f"{plain}/api/v1/items", auth),
    }
    pairs = [
        Pair("(a) /healthz: kit / bare Flask", "kit /healthz", "bare /healthz", 0.85),
        Pair("(b) GET /api/v1/items: kit / Flask+SQLAlchemy", "kit items", "baseline items", 0.75),
        Pair("(c) via Nginx HTTPS / straight", "nginx https items", "kit items", 0.85),
        Pair("(c) via Nginx plain HTTP / straight", "nginx http items", "kit items", 0.85),
    ]
    return targets, pairs


def worker_modes(procs: servers.Processes, args: argparse.Namespace, db: tuple[str, str]) -> Setup:
    """Set up the kit under each worker model (unpinned: they use both cores)."""
    targets: Targets = {}
    token = ""
    for port, (label, (kind, workers, threads)) in enumerate(WORKER_MODES.items(), 24530):
        env = kit_env(*db, kind, workers, threads)
        if not token:
            migrate(env)
        servers.gunicorn(procs, "bench.kit:app", port, env, "")
        base = f"http://{servers.HOST}:{port}"
        token = token or seed(base, 20)
        targets[label] = (f"{base}/api/v1/items", {"Authorization": f"Bearer {token}"})
    pairs = [Pair(f"{label} / sync-2", label, "sync-2", 1.0) for label in list(targets)[1:]]
    return targets, pairs


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["app", "workers"], default="app")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--duration", type=int, default=5, help="seconds per target per round")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--server-cpus", default="0", help="taskset list for the servers")
    parser.add_argument("--load-cpus", default="1", help="taskset list for wrk")
    parser.add_argument("--out", type=Path, default=servers.REPO / "reports")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 30 or not 2 <= args.rounds <= 10:
        parser.error("--duration must be 1-30 seconds and --rounds 2-10")
    for tool in ("wrk", "nginx", "taskset"):
        if shutil.which(tool) is None:
            print(f"error: {tool} is missing (bash scripts/install-system-deps.sh test)")
            return 1
    if args.mode == "workers":
        args.server_cpus = ""  # worker counts are about using every core: nothing pinned
    if (os.cpu_count() or 1) < 2:
        args.server_cpus = args.load_cpus = ""  # nothing to separate on one CPU
    console = Console()
    procs = servers.Processes(Path(tempfile.mkdtemp(prefix="kit-bench-")))
    started = time.monotonic()
    try:
        db = (
            servers.start_postgres(procs, PG_PORT, args.server_cpus),
            servers.start_redis(procs, REDIS_PORT, args.server_cpus),
        )
        setup = app_and_proxy if args.mode == "app" else worker_modes
        targets, pairs = setup(procs, args, db)
        connections = args.connections if args.mode == "app" else 16
        load = wrk.Load(1, connections, args.duration, args.load_cpus)
        samples = measure(targets, args, load)
    except (servers.BenchError, RuntimeError, OSError) as exc:
        console.print(f"error: {exc} (logs in {procs.root})", markup=False)
        return 1
    finally:
        procs.stop_all()
    ratios = [report.ratio(pair, samples) for pair in pairs]
    mode = (
        f"{args.worker_class} x{args.threads} threads, 1 worker"
        if args.mode == "app"
        else "see labels"
    )
    meta: dict[str, object] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join([".venv/bin/python -m bench", *(argv or sys.argv[1:])]),
        "setup": (
            f"wrk -t1 -c{connections}, {args.duration} x {SLICE_S} s per target per round,"
            f" interleaved, on CPUs '{args.load_cpus}'; servers"
            f" (gunicorn {mode}, PostgreSQL, Redis, Nginx) on CPUs '{args.server_cpus or 'any'}';"
            f" {args.rounds}"
            f" alternating rounds; {os.cpu_count()} CPUs, load average"
            f" {os.getloadavg()[0]:.2f} at the end; {time.monotonic() - started:.0f} s"
        ),
    }
    Console(width=max(console.width, 150)).print(report.table(ratios, "what a request costs"))
    console.print(meta["setup"], markup=False)
    for path in report.write(ratios, samples, meta, args.out):
        console.print(f"written: {path}", markup=False)
    shutil.rmtree(procs.root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
