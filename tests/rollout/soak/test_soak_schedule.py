"""The soak's plan: every fault kind met, bad releases where expected."""

from __future__ import annotations

import pytest

from rollout.soak.schedule import FAULT_KINDS, IN_GATE, during_rollout, plan


@pytest.mark.parametrize("n", [1, 3, 4, 6, 7, 50])
def test_every_fault_kind_at_least_once(n: int) -> None:
    steps = plan(n)
    assert [s.index for s in steps] == list(range(1, n + 1))
    met = [kind for s in steps for kind in s.faults]
    assert set(met) == set(FAULT_KINDS)


def test_a_long_soak_rotates_one_fault_per_rollout() -> None:
    steps = plan(50)
    # One each, except where a bad release's in-gate fault moved to the next good one.
    assert sum(len(s.faults) != 1 for s in steps) <= 6
    assert all(len(s.faults) <= 2 for s in steps)
    counts = {k: sum(k in s.faults for s in steps) for k in FAULT_KINDS}
    assert min(counts.values()) >= 6


@pytest.mark.parametrize("n", [4, 7, 8, 50])
def test_in_gate_faults_land_on_good_releases_one_per_gate(n: int) -> None:
    steps = plan(n)
    in_gate = [(s, k) for s in steps for k in s.faults if k.endswith(IN_GATE)]
    assert {k for _, k in in_gate} == {k for k in FAULT_KINDS if k.endswith(IN_GATE)}
    assert all(s.bad is None for s, _ in in_gate)  # a bad release's gate tests nothing
    assert all(sum(k.endswith(IN_GATE) for k in s.faults) <= 1 for s in steps)
    during = {k for k in FAULT_KINDS if during_rollout(k)}
    assert during == {"kill-web-idle", "restart-redis" + IN_GATE, "restart-postgres" + IN_GATE}


def test_a_kind_left_out_is_never_planned() -> None:
    kinds = tuple(k for k in FAULT_KINDS if k != "restart-postgres" + IN_GATE)
    assert {kind for s in plan(8, kinds=kinds) for kind in s.faults} == set(kinds)


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
