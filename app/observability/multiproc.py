"""Prometheus multiprocess mode under gunicorn: one samples directory, cleaned per worker."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_dir() -> Path:
    """Ensure PROMETHEUS_MULTIPROC_DIR exists (a private temp dir when unset) and set it.

    Called from the gunicorn config, in the master, before any worker imports
    prometheus_client: the client picks its file-backed values at import time.
    """
    raw = os.environ.get(ENV)
    path = Path(raw) if raw else Path(tempfile.mkdtemp(prefix="kit-prometheus-"))
    path.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(path)
    return path


def wipe_dir() -> None:
    """Delete samples left by an earlier run, so a restart never adds old counts."""
    raw = os.environ.get(ENV)
    if raw:
        for stale in Path(raw).glob("*.db"):
            stale.unlink(missing_ok=True)


def mark_worker_dead(worker: Any) -> None:
    """gunicorn child_exit hook: drop the dead worker's live-gauge files."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
