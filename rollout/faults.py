"""Deliberately broken releases, for `make demo-rollback` and the negative tests.

A broken release is a copy of a good one whose WSGI module (the contract's serve.wsgi) wraps
the WSGI callable with a fault on every route but the health ones (or on one prefix): "slow"
answers late (the latency gate must catch it), "error" answers 500 (the failure-ratio gate
must catch it). With a trigger file the fault only starts once that file exists, so a release
can pass the pre-switch gate and fail after the switch.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kitcore.contract import Contract

FAULTS = ("slow", "error")

_TEMPLATE = """

# --- fault injected by rollout.faults ({fault}) : this release is broken on purpose ---
def _install_fault(wsgi_app):  # type: ignore[no-untyped-def]
    import json
    import os
    import time

    def faulty(environ, start_response):  # type: ignore[no-untyped-def]
        armed = {trigger!r} is None or os.path.exists({trigger!r})
        path = environ.get("PATH_INFO", "")
        hit = path.startswith({prefix!r}) and path not in {spared!r}
        if armed and hit:
            if {fault!r} == "slow":
                time.sleep({delay_s!r})
            else:
                body = json.dumps({{"error": "injected fault"}}).encode()
                start_response("500 INTERNAL SERVER ERROR", [
                    ("Content-Type", "application/json"),
                    ({version_header!r}, os.environ.get({version_env!r}, "")),
                    ({colour_header!r}, os.environ.get({colour_env!r}, "")),
                ])
                return [body]
        return wsgi_app(environ, start_response)

    return faulty


{callable} = _install_fault({callable})
"""


def broken_release(
    contract: Contract,
    good: Path,
    dest: Path,
    fault: str = "slow",
    prefix: str = "/",
    delay_s: float = 0.5,
    trigger: Path | None = None,
) -> Path:
    """Copy the good release to dest and inject the fault into its WSGI module."""
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r} (choose from {', '.join(FAULTS)})")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(good, dest, symlinks=True)
    serve, health = contract.serve, contract.health
    module = dest / contract.module_file(serve.wsgi_module)
    code = _TEMPLATE.format(
        fault=fault, prefix=prefix, delay_s=delay_s, trigger=str(trigger) if trigger else None,
        spared=sorted({health.liveness, health.readiness, health.identity}),
        callable=serve.wsgi.partition(":")[2],
        version_header=health.version_header, version_env=serve.version_env,
        colour_header=health.colour_header, colour_env=serve.colour_env,
    )  # fmt: skip
    module.write_text(module.read_text() + code)
    return dest
