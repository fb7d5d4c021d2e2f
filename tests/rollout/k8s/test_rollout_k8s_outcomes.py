"""What users care about on a cluster, asserted on the stateful fake cluster: which image serves
public traffic after each failure path, that rollback never routes to a failed release, that a
rollout killed at any phase ends on a verified release, that of two deployers one proceeds."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from k8s_outcomes_harness import (
    IMAGES,
    Verdicts,
    deploy,
    deploy_in_child,
    public_route,
    target,
    wait_for_event,
)
from rich.console import Console

from rollout import commands
from rollout.errors import RolloutFailed
from rollout.exitcodes import Exit
from rollout.state import FAILED, PROMOTED
from rollout.targets.k8s import K8sTarget
from tests.support.fakecluster.cluster import FakeCluster

QUIET = Console(quiet=True)
V0, V1, V2, V3 = (IMAGES[f"v{n}"] for n in range(4))


@pytest.fixture
def k8s(
    fake_cluster: FakeCluster, overlay: Path, verdicts: Verdicts, public: str
) -> Iterator[K8sTarget]:
    tgt = target(fake_cluster, overlay, public, lease_s=2)
    yield tgt
    tgt.close()


def test_rollback_after_a_failed_gate_never_routes_to_the_failed_release(
    fake_cluster: FakeCluster, k8s: K8sTarget, verdicts: Verdicts, tmp_path: Path
) -> None:
    assert deploy(k8s, tmp_path, "v1").code == Exit.PROMOTED
    fake_cluster.mark_bad("v2")
    assert deploy(k8s, tmp_path, "v2").code == Exit.GATE_FAILED
    assert fake_cluster.serving() == {V1}
    assert k8s.store().load().standing("blue") == FAILED  # v2's colour: never a rollback target
    with pytest.raises(RolloutFailed, match="no previous promoted release") as refused:
        commands.rollback(k8s, k8s.store(), QUIET)
    assert refused.value.code == Exit.NOT_READY
    assert deploy(k8s, tmp_path, "v3").code == Exit.PROMOTED
    assert fake_cluster.serving() == {V3}

    assert commands.rollback(k8s, k8s.store(), QUIET) == Exit.PROMOTED
    assert fake_cluster.serving() == {V1}  # the last good release, restored on its colour
    assert V2 not in fake_cluster.ever_served()
    state = k8s.store().load()
    assert (state.active, state.colours[state.active].image) == ("green", V1)
    assert state.standing("green") == PROMOTED


def test_the_state_lives_in_the_cluster_not_on_the_runner(
    fake_cluster: FakeCluster, k8s: K8sTarget, tmp_path: Path, overlay: Path
) -> None:
    assert deploy(k8s, tmp_path, "v1").code == Exit.PROMOTED
    with public_route(fake_cluster) as public:  # another machine: nothing of the first's
        elsewhere = target(fake_cluster, overlay, public)
        state = elsewhere.store().load()
        elsewhere.close()
    assert (state.active, state.colours["green"].image, state.history[-1].outcome) == (
        "green", V1, "promoted",
    )  # fmt: skip


def test_of_two_concurrent_deploys_exactly_one_proceeds(
    fake_cluster: FakeCluster, k8s: K8sTarget, tmp_path: Path
) -> None:
    first = deploy_in_child(k8s, tmp_path, "v1")
    second = deploy_in_child(k8s, tmp_path, "v2")
    first.join(120)
    second.join(120)
    assert sorted([first.exitcode, second.exitcode]) == [Exit.PROMOTED, Exit.LOCKED]
    winner = V1 if first.exitcode == Exit.PROMOTED else V2
    assert fake_cluster.serving() == {winner}
    assert fake_cluster.ever_served() == {V0, winner}  # the loser touched nothing that serves
    loser = V2 if winner == V1 else V1
    assert not any(loser in what for _, what, _ in fake_cluster.events())


# Where each phase is held so the test can kill the rollout in it.
PHASES = {
    "deploy": ("cluster", "rollout status"),
    "migrate": ("cluster", "exec"),
    "verify": ("stand-in", "verify"),
    "gate": ("cluster", "gate pre_switch"),
    "switch": ("cluster", "get endpointslices"),
    "post_switch": ("cluster", "gate post_switch"),
}


def hold(fake_cluster: FakeCluster, verdicts: Verdicts, phase: str) -> str:
    """Make the phase block once; return the event that says the rollout is blocked there."""
    where, what = PHASES[phase]
    if where == "cluster":
        fake_cluster.set(hang=[what])
    else:
        verdicts.hang.add(what)
    return f"hang {what}"


@pytest.mark.parametrize("phase", list(PHASES))
def test_sigterm_in_any_phase_recovers_to_the_verified_release_in_seconds(
    fake_cluster: FakeCluster, k8s: K8sTarget, verdicts: Verdicts, tmp_path: Path, phase: str
) -> None:
    """A cancelled CI job: SIGTERM, then SIGKILL a few seconds later."""
    blocked = hold(fake_cluster, verdicts, phase)
    proc = deploy_in_child(k8s, tmp_path, "v1")
    wait_for_event(fake_cluster, blocked)
    signalled = time.time()
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGTERM)
    proc.join(30)
    assert proc.exitcode == Exit.INTERRUPTED
    assert fake_cluster.serving() == {V0}
    back = [t for t, _, serving in fake_cluster.events() if t > signalled and serving == [V0]]
    if phase in ("switch", "post_switch"):  # traffic had moved: the switch back comes first
        assert back, fake_cluster.events()[-6:]
        assert back[0] - signalled < 5
    state = k8s.store().load()
    assert state.current is None
    assert (state.history[-1].outcome, state.history[-1].phase) == ("interrupted", phase)
    assert state.standing("green") == FAILED
    assert fake_cluster.image_of("green")[1] == 0
    assert fake_cluster.jobs("gate") == []  # an interrupted gate's Job is deleted with it
    assert not k8s.store().is_locked()


@pytest.mark.parametrize("phase", list(PHASES))
def test_sigkill_in_any_phase_then_a_rerun_ends_on_a_verified_release(
    fake_cluster: FakeCluster, k8s: K8sTarget, verdicts: Verdicts, tmp_path: Path, phase: str
) -> None:
    """A lost runner: nothing recovers until the next deploy finds what it left."""
    blocked = hold(fake_cluster, verdicts, phase)
    proc = deploy_in_child(k8s, tmp_path, "v1")
    wait_for_event(fake_cluster, blocked)
    assert proc.pid is not None
    # The runner is lost with everything it ran: its port-forwards die with it (none orphaned).
    os.killpg(proc.pid, signal.SIGKILL)
    proc.join(10)
    left = k8s.store().load().current
    assert left is not None
    assert left.phase == phase
    verdicts.hang.clear()
    time.sleep(2.1)  # the dead deployer's Lease (2 s in this test) expires
    rerun = deploy(k8s, tmp_path, "v1")
    assert rerun.code == Exit.PROMOTED, rerun.reason
    assert fake_cluster.serving() == {V1}
    state = k8s.store().load()
    settled = state.history[-2]
    assert (settled.id, settled.outcome) == (left.id, "interrupted")
    assert (state.colours["green"].image, state.standing("green")) == (V1, PROMOTED)
