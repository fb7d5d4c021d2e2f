"""The commands' decisions on the fake target: rollback means the last good release, a failed
release is never switched to, signals and `rollout abort` stop a rollout into recovery, and a
rollout a dead process left is settled before anything else."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rich.console import Console

from kitcore.release import Release
from rollout import commands
from rollout.errors import RolloutFailed, TargetError
from rollout.exitcodes import Exit
from rollout.flow import Options
from rollout.state import FAILED, PREVIOUS, PROMOTED, RolloutRecord, State
from rollout.store import FileStore
from rollout.verify.gates import load_gates
from rollout.verify.loadrun import LoadSpec
from tests.rollout.fakes import FakeGates, FakeTarget, run_rollout
from tests.support.contract import REFERENCE, REFERENCE_GATES

QUIET = Console(quiet=True)


def promoted_twice(tmp_path: Path, gates: FakeGates) -> FakeTarget:
    """v1 then v2 promoted (green, then blue); v3 failed its gate on green."""
    target = FakeTarget()
    assert run_rollout(tmp_path, target, "v1")[0].code == Exit.PROMOTED
    assert run_rollout(tmp_path, target, "v2")[0].code == Exit.PROMOTED
    gates.failing.add("pre_switch")
    assert run_rollout(tmp_path, target, "v3")[0].code == Exit.GATE_FAILED
    gates.failing.clear()
    assert (target.active, target.running_releases["blue"].version) == ("blue", "v2")
    return target


def test_rollback_puts_the_previous_promoted_release_back_never_the_failed_one(
    tmp_path: Path, gates: FakeGates
) -> None:
    target = promoted_twice(tmp_path, gates)
    store = FileStore(tmp_path / "state" / "rollout.json")
    assert store.load().standing("green") == FAILED
    assert commands.rollback(target, store, QUIET) == Exit.PROMOTED
    assert target.active == "green"
    assert target.running_releases["green"].version == "v1"  # restored, never v3
    assert target.calls[-3:] == ["start:green", "smoke:green", "switch:green"]  # checked first
    state = store.load()
    assert (state.colours["green"].version, state.standing("green")) == ("v1", PROMOTED)
    assert state.standing("blue") == PREVIOUS
    assert state.history[-1].kind == "rollback"


def test_rollback_without_a_previous_promotion_is_refused(tmp_path: Path, gates: FakeGates) -> None:
    target = FakeTarget()
    assert run_rollout(tmp_path, target, "v1")[0].code == Exit.PROMOTED
    gates.failing.add("pre_switch")
    assert run_rollout(tmp_path, target, "v2")[0].code == Exit.GATE_FAILED
    store = FileStore(tmp_path / "state" / "rollout.json")
    with pytest.raises(RolloutFailed, match="no previous promoted release") as refused:
        commands.rollback(target, store, QUIET)
    assert refused.value.code == Exit.NOT_READY
    assert (target.active, target.running_releases["green"].version) == ("green", "v1")


def test_a_failed_colour_is_never_switched_to(tmp_path: Path, gates: FakeGates) -> None:
    target = promoted_twice(tmp_path, gates)
    target.running_releases["green"] = Release("v3", tmp_path)  # kept running (--keep-failed)
    store = FileStore(tmp_path / "state" / "rollout.json")
    with pytest.raises(RolloutFailed, match="v3, which failed its rollout") as refused:
        commands.switch(target, store, QUIET)
    assert refused.value.code == Exit.NOT_READY
    assert target.active == "blue"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_before_the_switch_leaves_traffic_untouched(
    tmp_path: Path, gates: FakeGates, sig: int
) -> None:
    gates.signal["pre_switch"] = sig
    target = FakeTarget()
    outcome, store = run_rollout(tmp_path, target)
    assert outcome.code == Exit.INTERRUPTED
    assert signal.Signals(sig).name in outcome.reason
    assert target.active == "blue"
    assert not any(c.startswith("switch") for c in target.calls)
    assert "stop:green" in target.calls
    assert store.load().standing("green") == FAILED


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_after_the_switch_switches_back(
    tmp_path: Path, gates: FakeGates, sig: int
) -> None:
    """A cancelled CI job gets SIGTERM: recovery switches back first, then cleans up."""
    gates.signal["post_switch"] = sig
    target = FakeTarget()
    outcome, store = run_rollout(tmp_path, target)
    assert outcome.code == Exit.INTERRUPTED
    assert target.active == "blue"
    assert target.calls[-2:] == ["switch:blue", "stop:green"]  # the switch back comes first
    last = store.load().history[-1]
    assert (last.outcome, last.phase) == ("interrupted", "post_switch")


def dead_rollout(store: FileStore, phase: str, *, switched: bool, verified: bool) -> None:
    """What a SIGKILLed rollout of v2 (blue -> green) leaves in the store."""
    state = State(active="blue")
    state.mark("blue", Release("v1", Path("/releases/v1")), PROMOTED)
    rec = RolloutRecord(
        "dead1", "v2", "blue", "green", 1.0, pid=999_999, phase=phase, switched=switched,
        verified=verified, source_dir="/releases/v2",
    )  # fmt: skip
    state.current = rec
    store.save(state)


def killed_target() -> FakeTarget:
    both = {"blue": Release("v1", Path("/releases/v1")), "green": Release("v2", Path("/r/v2"))}
    return FakeTarget(active="green", running_releases=both)


def test_abort_settles_a_rollout_killed_after_an_unverified_switch(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "rollout.json")
    dead_rollout(store, "post_switch", switched=True, verified=False)
    target = killed_target()
    assert commands.abort(target, store, QUIET) == Exit.PROMOTED
    assert target.active == "blue"
    state = store.load()
    assert state.current is None
    assert (state.history[-1].id, state.history[-1].outcome) == ("dead1", "interrupted")
    assert state.standing("green") == FAILED


def test_a_rollout_killed_after_its_verification_is_kept(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "rollout.json")
    dead_rollout(store, "stop_old", switched=True, verified=True)
    target = killed_target()
    assert commands.abort(target, store, QUIET) == Exit.PROMOTED
    assert target.active == "green"
    state = store.load()
    assert (state.history[-1].outcome, state.standing("green")) == ("promoted", PROMOTED)
    assert state.standing("blue") == PREVIOUS


def test_abort_with_nothing_in_progress_says_so(tmp_path: Path) -> None:
    console = Console(record=True)
    store = FileStore(tmp_path / "rollout.json")
    assert commands.abort(FakeTarget(), store, console) == Exit.PROMOTED
    assert "nothing to abort" in console.export_text()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from rollout.interrupts import AbortWatch, Interrupted, interruptible
    from rollout.store import FileStore
    store = FileStore(Path(sys.argv[1]))
    with store.lock("deploy v9"), interruptible(), AbortWatch(store.abort_requested, 0.1):
        print("locked", flush=True)
        try:
            time.sleep(60)
        except Interrupted as exc:
            print(f"recovering: {exc}", flush=True)
    """
)


def test_abort_stops_a_running_rollout_through_the_store(tmp_path: Path) -> None:
    path = tmp_path / "rollout.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        began = time.monotonic()
        assert commands.abort(FakeTarget(), FileStore(path), QUIET) == Exit.PROMOTED
        assert time.monotonic() - began < 10
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert out.startswith("recovering: aborted by ")
    assert "abort" in out


class OddlyWordedFailure(FakeTarget):
    """A target whose error text looks like console markup (paths, testinfra case ids)."""

    def start(self, colour: str, release: Release) -> None:
        raise TargetError("see [/tmp/logs/web-green.log] and test_uid[master]: [bold")


def test_failure_text_is_printed_as_text_never_as_markup(tmp_path: Path, gates: FakeGates) -> None:
    console = Console(record=True, width=300)
    opts = Options(gates=load_gates(REFERENCE_GATES), reports_base=tmp_path,
                   load=LoadSpec.of(REFERENCE), stop_delay_s=0)  # fmt: skip
    store = FileStore(tmp_path / "state" / "rollout.json")
    outcome = commands.deploy(OddlyWordedFailure(), store, Release("v2", tmp_path), opts, console)
    assert outcome.code == Exit.DEPLOY_FAILED
    assert "[/tmp/logs/web-green.log] and test_uid[master]: [bold" in console.export_text()
