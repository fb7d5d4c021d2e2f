"""The soak's plan: which rollouts carry a bad release and which faults come before each."""

from __future__ import annotations

from dataclasses import dataclass

# In the order a short soak meets them; a long one rotates through them. "-in-gate" kinds land
# inside the pre-switch gate (its load running), the others between rollouts, except
# kill-web-idle (during the rollout, once the idle colour is up). This order puts the in-gate
# kind of a 4-rollout soak on a good release (1; 2 is bad).
IN_GATE = "-in-gate"
FAULT_KINDS = (
    "kill-web-active",
    "kill-web-idle",
    "restart-redis",
    "restart-postgres",
    "restart-redis" + IN_GATE,
    "slow-db",
    "kill-rq-worker",
)
# Opt-in (--postgres-in-gate) while a known finding is open: a Postgres restart inside the gate
# can get a good release refused, the new colour's cold cache failing where the serving
# colour's warm one does not (rollout/README.md "Soak").
OPT_IN_KINDS = ("restart-postgres" + IN_GATE,)
BAD_KINDS = ("slow", "error")  # rollout/faults.py


@dataclass(frozen=True)
class Step:
    """One rollout of the plan: 1-based index, the bad release's fault (None: good), faults."""

    index: int
    bad: str | None
    faults: tuple[str, ...]


def during_rollout(kind: str) -> bool:
    """Tell whether a fault kind is injected while its rollout runs (else before it)."""
    return kind == "kill-web-idle" or kind.endswith(IN_GATE)


def plan(n: int, bad_every: int = 5, kinds: tuple[str, ...] = FAULT_KINDS) -> list[Step]:
    """Plan n rollouts: every fault kind at least once, bad releases at 2, 2+k, 2+2k, ..."""
    if n < 1:
        raise ValueError("a soak needs at least one rollout")
    per_step: list[list[str]] = [[] for _ in range(n)]
    # Every kind once even when n is smaller than the number of kinds, then one per rollout.
    for i, kind in enumerate(kinds):
        per_step[i % n].append(kind)
    for i in range(len(kinds), n):
        per_step[i].append(kinds[i % len(kinds)])
    bad_at = set(range(2, n + 1, bad_every)) if bad_every > 0 and n >= 2 else set()
    steps = []
    for i in range(1, n + 1):
        bad = BAD_KINDS[(i // max(bad_every, 1)) % len(BAD_KINDS)] if i in bad_at else None
        steps.append(Step(i, bad, tuple(per_step[i - 1])))
    return steps
