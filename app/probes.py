"""The probe routes (liveness, readiness, metrics): answered without any per-user machinery.

A leaf module, like app/extensions.py: sessions, security headers and request hooks read it
to skip their work for these paths, which orchestrators and Prometheus call every few seconds.
"""

from __future__ import annotations

from flask import request

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def is_probe() -> bool:
    """Tell whether the current request is a probe."""
    return request.path in PROBE_PATHS
