"""HTTP smoke checks of one colour through a route (preview before the switch, public after)."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Probe:
    """One request and what its answer must look like."""

    path: str
    status: int
    content_type: str = ""
    also: tuple[int, ...] = ()  # other statuses that pass too


PROBES = (
    Probe("/healthz", 200, "application/json"),
    Probe("/readyz", 200, "application/json"),
    Probe("/", 200, "text/html"),
    Probe("/api/v1/items", 200, "application/json"),
    Probe("/api/v1/openapi.json", 200, "application/json"),
    # Metrics must never be reachable through the proxy: Nginx answers 404, the
    # ingress-nginx deny rule 403.
    Probe("/metrics", 404, also=(403,)),
)


def _get(url: str, ctx: ssl.SSLContext, timeout: float) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers={"User-Agent": "rollout-smoke"})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as resp:  # noqa: S310
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def smoke(
    base_url: str, colour: str, version: str | None, ca_cert: Path | None, timeout: float = 5.0
) -> list[str]:
    """Run the probes (version None: any); return the failures (empty when all pass)."""
    ctx = ssl.create_default_context(cafile=str(ca_cert) if ca_cert else None)
    failures: list[str] = []
    for probe in PROBES:
        url = base_url.rstrip("/") + probe.path
        try:
            status, headers, body = _get(url, ctx, timeout)
        except OSError as exc:
            failures.append(f"GET {probe.path}: {exc}")
            continue
        headers = {k.lower(): v for k, v in headers.items()}
        if status != probe.status and status not in probe.also:
            failures.append(f"GET {probe.path}: status {status}, expected {probe.status}")
            continue
        if probe.content_type and probe.content_type not in headers.get("content-type", ""):
            failures.append(f"GET {probe.path}: content type {headers.get('content-type')!r}")
        if probe.status == 200:
            if headers.get("x-app-color") != colour:
                failures.append(f"GET {probe.path}: answered by {headers.get('x-app-color')!r}")
            if version and headers.get("x-app-version") != version:
                failures.append(f"GET {probe.path}: version {headers.get('x-app-version')!r}")
            if not headers.get("x-request-id"):
                failures.append(f"GET {probe.path}: no X-Request-ID")
        if probe.path == "/healthz" and status == 200:
            try:
                health = json.loads(body)
            except ValueError:
                failures.append("GET /healthz: body is not JSON")
                continue
            if health.get("color") != colour or (version and health.get("version") != version):
                failures.append(f"GET /healthz: {health}")
    return failures
