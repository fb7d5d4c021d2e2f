"""Where a request's time goes: cProfile of the kit's app in process, per endpoint.

    .venv/bin/python -m bench.profile [--requests 2000]            (make bench-profile)

Starts PostgreSQL and Redis like `python -m bench`, builds the app the benchmark serves
(bench/kit.py's settings, cache off on the list) and profiles N calls per endpoint through
Flask's test client; prints the slowest functions by cumulative time, ours and libraries'.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import servers
from bench.__main__ import PG_PORT, REDIS_PORT, USER, kit_env, migrate


def profile(client: object, path: str, headers: dict[str, str], n: int, top: int) -> str:
    """Return N calls' mean time and the TOP functions by cumulative time."""
    get = client.get  # type: ignore[attr-defined]
    for _ in range(50):
        get(path, headers=headers)
    started = time.perf_counter()
    for _ in range(n):
        get(path, headers=headers)
    mean_us = (time.perf_counter() - started) / n * 1e6
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        get(path, headers=headers)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    return f"== {path}: {mean_us:.0f} us per call (test client, no profiler)\n" + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Profile /healthz, /readyz and the item list."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    procs = servers.Processes(Path(tempfile.mkdtemp(prefix="kit-profile-")))
    try:
        env = kit_env(
            servers.start_postgres(procs, PG_PORT, ""),
            servers.start_redis(procs, REDIS_PORT, ""),
            "sync",
            1,
            1,
        )
        migrate(env)
        os.environ.update(env | {"LOG_LEVEL": "WARNING"})
        from bench.kit import app

        client = app.test_client()
        client.post("/api/v1/auth/register", json=USER)
        token = client.post("/api/v1/auth/token", json=USER).get_json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        for n in range(20):
            client.post("/api/v1/items", json={"title": f"item {n}", "body": "x"}, headers=auth)
        for path, headers in (("/healthz", {}), ("/readyz", {}), ("/api/v1/items", auth)):
            print(profile(client, path, headers, args.requests, args.top))
    finally:
        procs.stop_all()
        shutil.rmtree(procs.root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
