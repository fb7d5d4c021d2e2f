"""The soak's plan: which rollouts carry a bad release and which faults come before each."""

from __future__ import annotations

from dataclasses import dataclass

# In the order a short soak meets them; a long one rotates through them. "-in-gate" kinds land
# inside the pre-switch gate (its load running), the others between rollouts, except
# kill-web-idle (during the rollout, once the idle colour is up).
IN_GATE = "-in-gate"
FAULT_KINDS = (
    "kill-web-active",
    "restart-redis" + IN_GATE,
    "kill-web-idle",
    "slow-db",
    "restart-redis",
    "kill-rq-worker",
    "restart-postgres",
    "restart-postgres" + IN_GATE,
)
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
    # A bad release is refused before or by its gate's own verdict: a fault inside its gate
    # tests nothing (an "error" release never reaches the gate), so it moves to a good one.
    # The next good one without an in-gate fault of its own, so that gate meets one fault.
    good = [i for i in range(1, n + 1) if i not in bad_at]
    for i in sorted(bad_at):
        moved = [k for k in per_step[i - 1] if k.endswith(IN_GATE)]
        if not moved or not good:
            continue
        free = [g for g in good if not any(k.endswith(IN_GATE) for k in per_step[g - 1])]
        to = next((g for g in free if g > i), free[0] if free else good[-1])
        per_step[i - 1] = [k for k in per_step[i - 1] if k not in moved]
        per_step[to - 1].extend(moved)
    steps = []
    for i in range(1, n + 1):
        bad = BAD_KINDS[(i // max(bad_every, 1)) % len(BAD_KINDS)] if i in bad_at else None
        steps.append(Step(i, bad, tuple(per_step[i - 1])))
    return steps
