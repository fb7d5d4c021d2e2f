"""The rollout state and lock on the (fake) cluster: resource versions, a Lease that one holder
wins, renews, hands over on expiry and carries `rollout abort` requests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kitcore.release import Release
from rollout.errors import RolloutLocked, StateConflict
from rollout.kube import Kubectl
from rollout.kube.lease import ABORT_ANNOTATION
from rollout.kube.store import ClusterStore
from rollout.state import PROMOTED, State
from tests.support.fakecluster.cluster import FakeCluster

PREFIX = "app"


def store(cluster: FakeCluster, lease_s: int = 60) -> ClusterStore:
    kubectl = Kubectl(cluster.namespace, binary=str(cluster.kubectl))
    return ClusterStore(kubectl, PREFIX, lease_s)


def promoted(version: str) -> State:
    state = State(active="blue")
    state.mark("blue", Release(version, Path("."), f"registry.example/app:{version}"), PROMOTED)
    return state


def refusal(contender: ClusterStore) -> str:
    """Try to take the lock; return why it was refused."""
    with pytest.raises(RolloutLocked) as refused, contender.lock("deploy v3"):
        pytest.fail("two holders at once")
    return str(refused.value)


def test_state_round_trips_through_a_configmap(fake_cluster: FakeCluster) -> None:
    first = store(fake_cluster)
    assert first.load() == State()
    first.save(promoted("v1"))
    first.save(promoted("v2"))  # its own writes carry the version it got back
    again = store(fake_cluster).load()
    assert again.colours["blue"].image == "registry.example/app:v2"
    cm = fake_cluster.get("ConfigMap", "app-rollout-state")
    assert cm is not None
    assert cm["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "flask-deploy-kit-rollout"


def test_a_writer_that_read_before_another_wrote_is_refused(fake_cluster: FakeCluster) -> None:
    store(fake_cluster).save(promoted("v1"))
    late, early = store(fake_cluster), store(fake_cluster)
    late.load()
    early.load()
    early.save(promoted("v2"))
    with pytest.raises(StateConflict, match="written by someone else"):
        late.save(promoted("v0"))
    assert store(fake_cluster).load().colours["blue"].version == "v2"


def test_two_first_writers_cannot_both_create_the_state(fake_cluster: FakeCluster) -> None:
    one, two = store(fake_cluster), store(fake_cluster)
    one.load()
    two.load()
    one.save(promoted("v1"))
    with pytest.raises(StateConflict):
        two.save(promoted("v2"))


def test_the_lease_refuses_a_second_holder_and_names_the_first(fake_cluster: FakeCluster) -> None:
    first, second = store(fake_cluster), store(fake_cluster)
    with first.lock("deploy v2"):
        assert first.is_locked()
        assert refusal(second).startswith("another rollout is running")
        assert "deploy v2" in refusal(second)
    assert not second.is_locked()
    with second.lock("deploy v3"):
        lease = fake_cluster.get("Lease", "app-rollout")
        assert lease is not None
        assert lease["spec"]["holderIdentity"].endswith("deploy v3")
        assert lease["spec"]["leaseTransitions"] == 1


HOLD = textwrap.dedent(
    """
    import sys, time
    from rollout.kube import Kubectl
    from rollout.kube.store import ClusterStore
    ns, kubectl, lease_s, hold_s, start_at = sys.argv[1:6]
    store = ClusterStore(Kubectl(ns, binary=kubectl), "app", int(lease_s))
    while time.time() < float(start_at):
        time.sleep(0.001)
    try:
        with store.lock("deploy " + sys.argv[6]):
            print("locked", flush=True)
            time.sleep(float(hold_s))
    except Exception as exc:
        print(f"refused: {exc}", flush=True)
    """
)


def holder(
    cluster: FakeCluster, lease_s: int, hold_s: float, who: str, start_at: float = 0
) -> subprocess.Popen[str]:
    argv = [sys.executable, "-c", HOLD, cluster.namespace, str(cluster.kubectl), str(lease_s),
            str(hold_s), str(start_at), who]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=os.environ.copy())


def test_of_deployers_racing_for_a_free_lease_exactly_one_wins(fake_cluster: FakeCluster) -> None:
    start_at = time.time() + 3  # every process has started and waits for the same moment
    procs = [holder(fake_cluster, 60, 2, f"racer-{i}", start_at) for i in range(4)]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert sorted(o.split(":")[0] for o in outs) == ["locked", "refused", "refused", "refused"]


def test_a_dead_holders_lease_expires_and_is_taken_over(fake_cluster: FakeCluster) -> None:
    proc = holder(fake_cluster, 2, 60, "doomed")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    proc.kill()  # SIGKILL: nothing releases the Lease
    proc.wait()
    assert "doomed" in refusal(store(fake_cluster))
    time.sleep(2.2)
    with store(fake_cluster).lock("deploy v3"):
        assert "deploy v3" in store(fake_cluster).holder()


def test_a_live_holder_renews_past_the_lease_duration(fake_cluster: FakeCluster) -> None:
    proc = holder(fake_cluster, 2, 5, "slow")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    time.sleep(3.5)  # well past 2 s: only renewals keep it
    try:
        assert "slow" in refusal(store(fake_cluster))
    finally:
        proc.communicate(timeout=30)
    assert not store(fake_cluster).is_locked()  # released at the end of the block


def test_abort_requests_reach_the_holder_and_do_not_outlive_it(fake_cluster: FakeCluster) -> None:
    running = store(fake_cluster)
    with running.lock("deploy v2"):
        assert running.abort_requested() == ""
        store(fake_cluster).request_abort("alice@laptop")
        assert running.abort_requested() == "alice@laptop"
    lease = fake_cluster.get("Lease", "app-rollout")
    assert lease is not None
    assert ABORT_ANNOTATION not in lease["metadata"].get("annotations", {})
    assert "holderIdentity" not in lease["spec"]
    with store(fake_cluster).lock("deploy v3") as _:
        assert store(fake_cluster).abort_requested() == ""


def test_a_holder_whose_lease_was_taken_hears_it(fake_cluster: FakeCluster) -> None:
    running = store(fake_cluster, lease_s=1)
    with running.lock("deploy v2"):
        with fake_cluster.world() as world:
            lease = world.update("Lease", "app-rollout")
            lease["spec"]["holderIdentity"] = "bob@ci: deploy v9"
            world.touch(lease, "stolen")
        deadline = time.monotonic() + 5
        while not running.abort_requested() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "lost lease app-rollout to bob@ci" in running.abort_requested()
