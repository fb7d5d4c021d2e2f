"""gunicorn settings from the environment: `gunicorn -c python:app.gunicorn_conf app.wsgi:app`."""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

from app.observability.multiproc import mark_worker_dead
from app.observability.multiproc import prepare_dir as prepare_metrics_dir
from app.settings import ConfigError, load_settings


def _int(name: str, default: int) -> int:
    """Read a positive integer variable, refusing anything else with a clear message."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        sys.exit(f"error: {name} must be a positive integer, got {raw!r}")
    return int(raw)


bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
# gthread keeps idle connections open between requests; sync workers cannot keep alive.
# Chosen by measurement (python -m bench --mode workers, README "Figures").
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
if worker_class not in ("gthread", "sync"):
    sys.exit(f"error: GUNICORN_WORKER_CLASS must be gthread or sync, got {worker_class!r}")
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than the proxy's idle timeout (nginx upstream keepalive_timeout 60s), so the proxy
# always closes an idle connection first and never sends on one gunicorn just closed.
keepalive = _int("GUNICORN_KEEPALIVE", 75)
# X-Forwarded-Proto and friends are honoured only from these proxy addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Connections to the database and Redis are made lazily in each worker, after the fork.
preload_app = False
# A read-only root filesystem needs the heartbeat files on a tmpfs (/tmp or /dev/shm).
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or None
max_requests = _int("GUNICORN_MAX_REQUESTS", 10_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1_000)
limit_request_line = 8190
limit_request_fields = 100
proc_name = "flask-deploy-kit"

accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logger_class = "app.observability.gunicorn.JsonGunicornLogger"

# gunicorn writes the access line; the app's own per-request line would only repeat it.
os.environ.setdefault("LOG_REQUESTS", "false")


def on_starting(server: Any) -> None:
    """Refuse to start the master when the configuration is unusable."""
    try:
        load_settings()
    except ConfigError as exc:
        server.log.error(str(exc))
        sys.exit(f"error: {exc}")
    # Prometheus multiprocess mode: the workers, forked after this, write samples to files
    # that /metrics merges (app/observability/multiproc.py).
    prepare_metrics_dir()


def child_exit(server: Any, worker: Any) -> None:
    """Clean up a dead worker's Prometheus files."""
    mark_worker_dead(worker)


def post_worker_init(worker: Any) -> None:
    """Take what loading the app built out of the garbage collector's walks (gc.freeze).

    The app's modules, routes and schemas live as long as the worker, yet every full
    collection walked them all, in the middle of some request: about 170,000 objects, 150 ms
    on the 2-core benchmark machine (bench/README.md). Frozen, a collection only visits what
    requests allocated since.
    """
    gc.collect()
    gc.freeze()
