"""The soak's plan: every fault kind met, bad releases where expected."""

from __future__ import annotations

import pytest

from rollout.soak.schedule import FAULT_KINDS, IN_GATE, OPT_IN_KINDS, during_rollout, plan


@pytest.mark.parametrize("n", [1, 3, 4, 6, 7, 50])
def test_every_fault_kind_at_least_once(n: int) -> None:
    steps = plan(n)
    assert [s.index for s in steps] == list(range(1, n + 1))
    met = [kind for s in steps for kind in s.faults]
    assert set(met) == set(FAULT_KINDS)


def test_a_long_soak_rotates_one_fault_per_rollout() -> None:
    steps = plan(50)
    assert all(len(s.faults) == 1 for s in steps)
    counts = {k: sum(k in s.faults for s in steps) for k in FAULT_KINDS}
    assert min(counts.values()) >= 6


def test_the_short_soaks_in_gate_fault_lands_on_a_good_release() -> None:
    in_gate = [s for s in plan(4) for kind in s.faults if kind.endswith(IN_GATE)]
    assert len(in_gate) == 1
    assert all(s.bad is None for s in in_gate)
    during = {k for k in FAULT_KINDS if during_rollout(k)}
    assert during == {"kill-web-idle", "restart-redis" + IN_GATE}


def test_the_opt_in_kinds_join_the_plan_when_asked() -> None:
    kinds = FAULT_KINDS + OPT_IN_KINDS
    met = {kind for s in plan(8, kinds=kinds) for kind in s.faults}
    assert met == set(kinds)
    assert all(during_rollout(k) for k in OPT_IN_KINDS)
    assert not set(OPT_IN_KINDS) & set(FAULT_KINDS)


def test_bad_releases_at_2_then_every_k_alternating_kinds() -> None:
    bad = [(s.index, s.bad) for s in plan(50) if s.bad]
    assert [i for i, _ in bad] == [2, 7, 12, 17, 22, 27, 32, 37, 42, 47]
    assert {k for _, k in bad} == {"slow", "error"}
    assert [s.index for s in plan(4) if s.bad] == [2]
    assert not any(s.bad for s in plan(1))
    assert not any(s.bad for s in plan(10, bad_every=0))


def test_no_rollouts_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        plan(0)
