"""The gate image's entrypoint: one bounded locust gate from the environment, verdict printed.

Run by the gate Job (rollout/kube/gatejob.py) as `python -m loadtests.gate_main`, with
GATE_CONFIG (the gate's thresholds as JSON), GATE_TARGET (the in-cluster Service URL),
GATE_USERS and GATE_COLOUR_HEADER (from the contract) and GATE_LOCUSTFILE (baked into the
image). The account comes as LOCUST_USER_EMAIL/PASSWORD from the Job's Secret. locust's summary
is printed, then the verdict JSON as the last line after VERDICT_MARKER: the Job's log is how
the verdict leaves the cluster. Exit code: locust's (non-zero fails the Job).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rollout.verify.gates import GateConfig
from rollout.verify.loadrun import LoadSpec, run_gate

VERDICT_MARKER = "KIT_GATE_VERDICT "


def main() -> int:
    """Run the gate the environment describes; print its summary and verdict line."""
    cfg = GateConfig.from_json(os.environ["GATE_CONFIG"])
    load = LoadSpec(
        Path(os.environ["GATE_LOCUSTFILE"]),
        tuple(os.environ.get("GATE_USERS", "").split()),
        os.environ.get("GATE_COLOUR_HEADER", ""),
    )
    out = Path(os.environ.get("GATE_OUT", "/tmp/gate"))  # noqa: S108 - the Job's emptyDir
    result = run_gate(cfg, os.environ["GATE_TARGET"], None, out, load=load)
    log = out / f"locust-{cfg.name}.log"
    if log.exists():
        sys.stdout.write(log.read_text(errors="replace")[-20000:] + "\n")
    verdict = out / f"locust-{cfg.name}.json"
    if verdict.exists():
        sys.stdout.write(VERDICT_MARKER + verdict.read_text().replace("\n", " ") + "\n")
    else:
        sys.stdout.write(f"no verdict: {'; '.join(result.reasons)}\n")
    sys.stdout.flush()
    return result.exit_code or (0 if result.passed else 1)


if __name__ == "__main__":
    sys.exit(main())
