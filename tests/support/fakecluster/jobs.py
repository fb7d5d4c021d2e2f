"""What the fake cluster's Jobs do: decided when they are created, read back as their logs.

A migration Job completes, fails or never ends as the test's `job` failure mode says; its log
is the world's `job_log`. Each Job's outcome is fixed at creation, as a real Job's would be by
what its pod did. A gate Job's verdict is the release behind its Service (gaterun.py).
"""

from __future__ import annotations

from tests.support.fakecluster import gaterun
from tests.support.fakecluster.world import Obj, World


def on_create(world: World, job: Obj) -> Obj:
    """Return the status a new Job ends with."""
    if gaterun.is_gate(job):
        return gaterun.run(world, job)
    outcome = world.data["fail"].get("job", "complete")
    conditions = {
        "complete": [{"type": "Complete", "status": "True"}],
        "failed": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit"}],
    }.get(outcome, [])  # fmt: skip
    return {"conditions": conditions}


def logs(world: World, name: str) -> str:
    """Return what a Job's pod printed."""
    return str(world.data.get("job_logs", {}).get(name, world.data["job_log"]))
