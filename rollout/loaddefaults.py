"""Load shapes used by the benchmark (gates proper live in loadtests/gates.toml)."""

from __future__ import annotations

from rollout.gates import GateConfig

# Steady load for the switch benchmark: enough users to see queueing, bounded at 10 minutes.
BENCH_LOAD = GateConfig(
    name="bench",
    users=10,
    spawn_rate=10,
    duration_s=600,
    min_requests=1,
    max_fail_ratio=0.0,
    max_p95_ms=10_000,
    max_p99_ms=10_000,
)
