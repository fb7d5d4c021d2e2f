"""What the fake cluster's gate Jobs measure: the release behind the Service they target.

A gate Job (component=gate) reaches the Service its GATE_TARGET names; its verdict is decided by
the versions of the Ready pods that Service selects when the Job is created: a version the test
marked bad fails every gate, one marked bad_live fails only post_switch (real traffic). Its log
ends with the verdict line the gate image prints. `hang` holding "gate GATE" leaves the Job
running until the rollout gives up or is killed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from tests.support.fakecluster.world import Obj, World

MARKER = "KIT_GATE_VERDICT "
FAILED = {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
          "message": "Job has reached the specified backoff limit"}  # fmt: skip


def is_gate(job: Obj) -> bool:
    """Tell whether a Job is a locust gate (its pods are labelled component=gate)."""
    labels = job["metadata"].get("labels") or {}
    return labels.get("app.kubernetes.io/component") == "gate"


def _env(job: Obj) -> dict[str, str]:
    container = job["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


def _verdict(gate: str, versions: list[str], bad: list[str]) -> dict[str, Any]:
    reasons = [f"{v}: p95 900 ms above 300 ms" for v in bad]
    if not versions:
        reasons.append("only 0 requests (minimum 100)")
    n = 600 if versions else 0
    return {
        "gate": gate, "passed": not reasons, "reasons": reasons,
        "measures": {"num_requests": n, "num_failures": 0, "p95_ms": 40.0, "p99_ms": 60.0},
        "errors": [], "endpoints": [], "skipped_features": {}, "created_ids": [], "timeline": [],
    }  # fmt: skip


def run(world: World, job: Obj) -> Obj:
    """Measure what the targeted Service serves; return the Job's final status."""
    env, name = _env(job), job["metadata"]["name"]
    gate = json.loads(env["GATE_CONFIG"])["name"]
    service = str(urlsplit(env["GATE_TARGET"]).hostname)
    if f"gate {gate}" in world.data["hang"]:
        world.data["hang"].remove(f"gate {gate}")
        world.event(f"hang gate {gate}")
        return {}  # never finishes by itself
    images = sorted(world.serving_images(service))
    versions = [str(world.data["versions"].get(i, i)) for i in images]
    marked = set(world.data.setdefault("bad", []))
    if gate == "post_switch":
        marked |= set(world.data.setdefault("bad_live", []))
    verdict = _verdict(gate, versions, [v for v in versions if v in marked])
    world.data.setdefault("gate_runs", []).append(
        {"job": name, "gate": gate, "service": service, "versions": versions,
         "image": job["spec"]["template"]["spec"]["containers"][0]["image"]}
    )  # fmt: skip
    printed = "" if world.data["fail"].get("gate") == "no-verdict" else MARKER + json.dumps(verdict)
    world.data.setdefault("job_logs", {})[name] = f"locust 2.x against {service}\n{printed}\n"
    ok = verdict["passed"]
    return {"conditions": [{"type": "Complete", "status": "True"} if ok else FAILED]}
