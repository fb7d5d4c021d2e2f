"""Deliberately broken releases, for `make demo-rollback` and the negative tests.

A broken release is a copy of a good one whose app/wsgi.py wraps the WSGI app with a fault
on one endpoint: "slow" answers late (the latency gate must catch it), "error" answers 500
(the failure-ratio gate must catch it). With a trigger file the fault only starts once that
file exists, so a release can pass the pre-switch gate and fail after the switch.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FAULTS = ("slow", "error")

_TEMPLATE = """

# --- fault injected by rollout.faults ({fault}) : this release is broken on purpose ---
def _install_fault(wsgi_app):  # type: ignore[no-untyped-def]
    import json
    import os
    import time

    def faulty(environ, start_response):  # type: ignore[no-untyped-def]
        armed = {trigger!r} is None or os.path.exists({trigger!r})
        if armed and environ.get("PATH_INFO", "").startswith({prefix!r}):
            if {fault!r} == "slow":
                time.sleep({delay_s!r})
            else:
                body = json.dumps({{"error": "injected fault"}}).encode()
                start_response("500 INTERNAL SERVER ERROR", [
                    ("Content-Type", "application/json"),
                    ("X-App-Version", os.environ.get("APP_VERSION", "")),
                    ("X-App-Color", os.environ.get("APP_COLOR", "")),
                ])
                return [body]
        return wsgi_app(environ, start_response)

    return faulty


app.wsgi_app = _install_fault(app.wsgi_app)  # type: ignore[method-assign]
"""


def broken_release(
    good: Path,
    dest: Path,
    fault: str = "slow",
    prefix: str = "/api/v1/items",
    delay_s: float = 0.5,
    trigger: Path | None = None,
) -> Path:
    """Copy the good release to dest and inject the fault into its app/wsgi.py."""
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r} (choose from {', '.join(FAULTS)})")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(good, dest, symlinks=True)
    wsgi = dest / "app" / "wsgi.py"
    code = _TEMPLATE.format(
        fault=fault, prefix=prefix, delay_s=delay_s, trigger=str(trigger) if trigger else None
    )
    wsgi.write_text(wsgi.read_text() + code)
    return dest
