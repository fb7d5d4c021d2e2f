"""Locust plugin: the pass/fail gate as a quitting hook, plus a per-second timeline.

Loaded beside the service's own locustfile (`locust -f loadtests/gate.py,SERVICE_LOCUSTFILE`).
The verdict is computed from locust's own stats objects (environment.stats.total) when
locust quits, then written as JSON (--verdict-file) for the rollout tool, and the process
exit code is set from it. The timeline (requests, failures and response times per second,
colour that answered, read from --colour-header) only feeds the report chart and the
before/during/after figures. A service's users may report what they wrote and which optional
features they skipped through loadtests.extras, so the verdict can list them.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from locust import events
from locust.env import Environment

from loadtests.extras import extras
from rollout.verify.gates import GateConfig, Measures, evaluate, load_gates
from rollout.verify.verdict import Verdict

log = logging.getLogger("loadtests.gate")


def _bucket(ms: float) -> int:
    """Round a response time the way locust does (exact < 100 ms, then 2 significant digits)."""
    if ms < 100:
        return round(ms)
    if ms < 1000:
        return round(ms, -1)
    return round(ms, -2)


class Timeline:
    """Per-second counts, failures, response-time histogram and answering colour."""

    def __init__(self) -> None:
        self.colour_header = ""  # from --colour-header, the service's contract
        self.requests: Counter[int] = Counter()
        self.failures: Counter[int] = Counter()
        self.times: defaultdict[int, Counter[int]] = defaultdict(Counter)
        self.colours: defaultdict[int, Counter[str]] = defaultdict(Counter)

    def add(self, response_time: float, failed: bool, colour: str | None) -> None:
        """Count one request in the current second."""
        sec = int(time.time())
        self.requests[sec] += 1
        if failed:
            self.failures[sec] += 1
        self.times[sec][_bucket(response_time)] += 1
        if colour:
            self.colours[sec][colour] += 1

    def rows(self) -> list[dict[str, Any]]:
        """Return one JSON-ready row per second."""
        return [
            {
                "t": sec,
                "n": self.requests[sec],
                "fail": self.failures[sec],
                "rt": {str(k): v for k, v in sorted(self.times[sec].items())},
                "colours": dict(self.colours[sec]),
            }
            for sec in sorted(self.requests)
        ]


timeline = Timeline()


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any) -> None:
    group = parser.add_argument_group("kit gate")
    group.add_argument("--gate", default="", help="gate name in the gates file (pass/fail hook)")
    group.add_argument("--gates-file", default="", help="the service's gates TOML file")
    group.add_argument("--environment", default="local", help="section of the gates file")
    group.add_argument("--colour-header", default="", help="response header naming the colour")
    group.add_argument("--gate-json", default="", help="resolved gate thresholds (from rollout)")
    group.add_argument("--verdict-file", default="", help="write the verdict JSON here")
    group.add_argument("--ca-cert", default="", help="CA bundle to trust for https hosts")


@events.init.add_listener
def _remember_options(environment: Environment, **_: Any) -> None:
    opts = environment.parsed_options
    timeline.colour_header = getattr(opts, "colour_header", "") if opts is not None else ""
    cfg = gate_config(environment)
    if cfg is not None:  # what the environment allows the users to do
        extras.read_only, extras.cleanup = cfg.read_only, cfg.cleanup


@events.request.add_listener
def _on_request(
    response_time: float, exception: BaseException | None, response: Any = None, **_: Any
) -> None:
    colour = None
    headers = getattr(response, "headers", None) if response is not None else None
    if timeline.colour_header and headers is not None:
        colour = headers.get(timeline.colour_header)
    timeline.add(response_time, exception is not None, colour)


def gate_config(environment: Environment) -> GateConfig | None:
    """Return the gate named on the command line, or None for a plain locust run."""
    opts = environment.parsed_options
    if opts is None:
        return None
    if opts.gate_json:
        return GateConfig.from_json(opts.gate_json)
    if opts.gate and opts.gates_file:
        return load_gates(Path(opts.gates_file), opts.environment)[opts.gate]
    return None


def measures(environment: Environment) -> Measures:
    """Read the aggregated measures from locust's own stats objects."""
    total = environment.stats.total
    return Measures(
        num_requests=total.num_requests,
        num_failures=total.num_failures,
        p50_ms=float(total.get_response_time_percentile(0.50) or 0),
        p95_ms=float(total.get_response_time_percentile(0.95) or 0),
        p99_ms=float(total.get_response_time_percentile(0.99) or 0),
        rps=float(total.total_rps),
    )


@events.quitting.add_listener
def _gate(environment: Environment, **_: Any) -> None:
    """Set the exit code from the thresholds and write the verdict for the rollout tool."""
    cfg = gate_config(environment)
    if cfg is None:
        return
    m = measures(environment)
    verdict = evaluate(cfg, m)
    if extras.blocked:  # the load could not test what it must: no pass on what remained
        verdict = Verdict.of(verdict.check, [*verdict.reasons, *extras.blocked])
    environment.process_exit_code = 0 if verdict.passed else 1
    errors = [
        {"method": e.method, "name": e.name, "error": str(e.error), "occurrences": e.occurrences}
        for e in environment.stats.errors.values()
    ]
    endpoints = [
        {
            "method": s.method,
            "name": s.name,
            "requests": s.num_requests,
            "failures": s.num_failures,
            "p95_ms": s.get_response_time_percentile(0.95),
        }
        for s in environment.stats.entries.values()
    ]
    payload = {
        "gate": cfg.name,
        "config": json.loads(cfg.to_json()),
        "passed": verdict.passed,
        "reasons": verdict.reasons,
        "measures": {**m.__dict__, "fail_ratio": m.fail_ratio},
        "errors": errors,
        "endpoints": endpoints,
        "skipped_features": extras.skipped,
        "created_ids": extras.created_ids,
        "timeline": timeline.rows(),
    }
    opts = environment.parsed_options
    if opts is not None and opts.verdict_file:
        Path(opts.verdict_file).write_text(json.dumps(payload))
    state = "PASSED" if verdict.passed else "FAILED: " + "; ".join(verdict.reasons)
    log.info("gate %s %s", cfg.name, state)
