"""HTTP smoke checks of one colour through a route (preview before the switch, public after).

The requests and what each answer must look like are the service's contract: its [[smoke]]
checks, its identity route (which release answers), and its metrics route, which the public
proxy must refuse and the in-cluster route must serve.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kitcore import probe
from kitcore.contract import Contract
from rollout.verify.verdict import Verdict

# What the public proxy answers for the metrics route: Nginx 404, ingress-nginx's deny rule 403.
REFUSED = (404, 403)


@dataclass(frozen=True)
class Expectation:
    """One request and what its answer must look like."""

    path: str
    statuses: tuple[int, ...]
    content_type: str = ""
    from_colour: bool = True  # the answer must carry the colour's identity headers


def expectations(contract: Contract, metrics_served: bool) -> list[Expectation]:
    """Return the contract's smoke checks, plus its metrics route when it has one."""
    found = [
        Expectation(s.path, (s.status,), s.content_type, s.status == 200) for s in contract.smoke
    ]
    metrics = contract.health.metrics
    if metrics:
        statuses = (200,) if metrics_served else REFUSED
        found.append(Expectation(metrics, statuses, "text/plain" if metrics_served else "", False))
    return found


def smoke(
    contract: Contract,
    base_url: str,
    colour: str,
    version: str | None,
    ca_cert: Path | None,
    metrics_served: bool = False,
    timeout: float = 5.0,
) -> Verdict:
    """Check every expectation through base_url (version None: any version)."""
    wanted = expectations(contract, metrics_served)
    failures: list[str] = []
    for expectation in wanted:
        try:
            answer = probe.get(base_url.rstrip("/") + expectation.path, ca_cert, timeout)
        except probe.ProbeError as exc:
            failures.append(str(exc))
            continue
        failures += judge(contract, expectation, answer, probe.Identity(version, colour))
    return Verdict.of("smoke", failures, f"{len(wanted)} routes via {base_url}")


def judge(
    contract: Contract, want: Expectation, answer: probe.Answer, expected: probe.Identity
) -> list[str]:
    """Compare one answer with its expectation; return what is wrong."""
    where = f"GET {want.path}"
    if answer.status not in want.statuses:
        return [f"{where}: status {answer.status}, expected {want.statuses[0]}"]
    wrong = []
    content_type = answer.headers.get("content-type", "")
    if want.content_type and want.content_type not in content_type:
        wrong.append(f"{where}: content type {content_type!r}")
    health = contract.health
    if want.from_colour:
        colour = answer.headers.get(health.colour_header.lower())
        version = answer.headers.get(health.version_header.lower())
        if colour != expected.colour:
            wrong.append(f"{where}: answered by {colour!r}")
        if expected.version and version != expected.version:
            wrong.append(f"{where}: version {version!r}")
        request_id = health.request_id_header
        if request_id and not answer.headers.get(request_id.lower()):
            wrong.append(f"{where}: no {request_id}")
    if want.path == health.identity and answer.status == 200:
        seen = probe.answered_by(answer, health)
        stale = expected.version and seen.version != expected.version
        if seen.colour != expected.colour or stale:
            wrong.append(f"{where}: answered as {seen}")
    return wrong
