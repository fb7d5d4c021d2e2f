"""HTTP smoke checks of one colour through a route (preview before the switch, public after)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kitcore import probe
from rollout.verify.verdict import Verdict


@dataclass(frozen=True)
class Expectation:
    """One request and what its answer must look like."""

    path: str
    status: int
    content_type: str = ""
    also: tuple[int, ...] = ()  # other statuses that pass too


EXPECTATIONS = (
    Expectation("/healthz", 200, "application/json"),
    Expectation("/readyz", 200, "application/json"),
    Expectation("/", 200, "text/html"),
    Expectation("/api/v1/items", 200, "application/json"),
    Expectation("/api/v1/openapi.json", 200, "application/json"),
)
# Metrics must never be reachable through the public proxy (Nginx answers 404, the
# ingress-nginx deny rule 403), while the in-cluster route serves them to Prometheus.
METRICS_REFUSED = Expectation("/metrics", 404, also=(403,))
METRICS_SERVED = Expectation("/metrics", 200, "text/plain")


def smoke(
    base_url: str,
    colour: str,
    version: str | None,
    ca_cert: Path | None,
    metrics_served: bool = False,
    timeout: float = 5.0,
) -> Verdict:
    """Check every expectation through base_url (version None: any version)."""
    metrics = METRICS_SERVED if metrics_served else METRICS_REFUSED
    failures: list[str] = []
    for expectation in (*EXPECTATIONS, metrics):
        try:
            answer = probe.get(base_url.rstrip("/") + expectation.path, ca_cert, timeout)
        except probe.ProbeError as exc:
            failures.append(str(exc))
            continue
        failures += _judge(expectation, answer, colour, version)
    return Verdict.of("smoke", failures, f"{len(EXPECTATIONS) + 1} routes via {base_url}")


def _judge(want: Expectation, answer: probe.Answer, colour: str, version: str | None) -> list[str]:
    """Compare one answer with its expectation; return what is wrong."""
    where = f"GET {want.path}"
    if answer.status != want.status and answer.status not in want.also:
        return [f"{where}: status {answer.status}, expected {want.status}"]
    wrong = []
    content_type = answer.headers.get("content-type", "")
    if want.content_type and want.content_type not in content_type:
        wrong.append(f"{where}: content type {content_type!r}")
    if want.status == 200 and want.path != METRICS_SERVED.path:
        if answer.headers.get(probe.COLOUR_HEADER) != colour:
            wrong.append(f"{where}: answered by {answer.headers.get(probe.COLOUR_HEADER)!r}")
        if version and answer.headers.get(probe.VERSION_HEADER) != version:
            wrong.append(f"{where}: version {answer.headers.get(probe.VERSION_HEADER)!r}")
        if not answer.headers.get("x-request-id"):
            wrong.append(f"{where}: no X-Request-ID")
    if want.path == probe.HEALTH_PATH and answer.status == 200:
        try:
            health = answer.json()
        except ValueError:
            return [*wrong, f"{where}: body is not JSON"]
        if health.get("color") != colour or (version and health.get("version") != version):
            wrong.append(f"{where}: {health}")
    return wrong
