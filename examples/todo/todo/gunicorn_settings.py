"""gunicorn's settings for todo-api (`-c python:todo.gunicorn_settings`); the kit passes --bind."""

from __future__ import annotations

import os


def _at_least_one(name: str, default: int) -> int:
    """Read a count from the environment; refuse anything but a positive integer."""
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"error: {name} must be a positive integer, got {raw!r}")
    return int(raw)


# Threads let a worker keep idle proxy connections open while serving others.
worker_class = "gthread"
workers = _at_least_one("GUNICORN_WORKERS", 2)
threads = _at_least_one("GUNICORN_THREADS", 4)
timeout = 30
# SIGTERM lets in-flight requests finish for this long (below the stack's 40 s stop wait).
graceful_timeout = 20
# Above Nginx's upstream keepalive_timeout (30 s): the proxy closes an idle connection first,
# so it never sends a request on one gunicorn is closing.
keepalive = 65
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "todo-api"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The response's X-Request-ID: the caller's id, or the one the app made.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
