"""Prometheus multiprocess mode under gunicorn: one samples directory, cleaned per worker."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_dir() -> Path:
    """Ensure an empty PROMETHEUS_MULTIPROC_DIR (a private temp dir when unset) and set it."""
    # Called by gunicorn's on_starting hook in the master, before any worker is forked;
    # samples left by an earlier run are deleted so a restart never adds old counts.
    raw = os.environ.get(ENV)
    path = Path(raw) if raw else Path(tempfile.mkdtemp(prefix="kit-prometheus-"))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)
    os.environ[ENV] = str(path)
    return path


def mark_worker_dead(worker: Any) -> None:
    """gunicorn child_exit hook: drop the dead worker's live-gauge files."""
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
