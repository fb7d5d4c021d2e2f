"""The local store: atomic writes, round trip, exclusive lock across processes, abort requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kitcore.release import Release
from rollout.errors import RolloutLocked
from rollout.state import FAILED, PROMOTED, RolloutRecord, State
from rollout.store import FileStore


def _record(**kw: object) -> RolloutRecord:
    base: dict[str, object] = {
        "id": "abc", "version": "v2", "from_colour": "blue", "to_colour": "green",
        "started": 1.0, "pid": 123,
    }  # fmt: skip
    base.update(kw)
    return RolloutRecord(**base)  # type: ignore[arg-type]


def test_missing_file_is_empty_state(tmp_path: Path) -> None:
    assert FileStore(tmp_path / "rollout.json").load() == State()


def test_round_trip(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "s" / "rollout.json")
    rec = _record(phases=[("deploy", 2.0)])
    state = State(active="green", current=rec)
    state.mark("blue", Release("v1", Path("/r/v1")), PROMOTED)
    state.mark("green", Release("v2", Path("/r/v2"), "img@sha256:ab"), FAILED)
    state.history.append(_record(id="old", outcome="promoted"))
    store.save(state)
    loaded = store.load()
    assert loaded == state
    assert loaded.current is not None
    assert loaded.current.phases == [("deploy", 2.0)]


def test_save_leaves_no_temp_files_and_valid_json(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "rollout.json")
    for i in range(5):
        state = State(active="blue")
        state.mark("blue", Release(f"v{i}", tmp_path), PROMOTED)
        store.save(state)
    assert [p.name for p in tmp_path.iterdir()] == ["rollout.json"]
    colours = json.loads((tmp_path / "rollout.json").read_text())["colours"]
    assert (colours["blue"]["version"], colours["blue"]["standing"]) == ("v4", "promoted")


def test_history_is_bounded(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "rollout.json")
    store.save(State(history=[_record(id=str(i)) for i in range(80)]))
    assert len(store.load().history) == 50
    assert store.load().history[-1].id == "79"


def test_unreadable_state_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "rollout.json").write_text("{not json")
    with pytest.raises(RuntimeError, match="unreadable"):
        FileStore(tmp_path / "rollout.json").load()


def test_failed_write_keeps_previous_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileStore(tmp_path / "rollout.json")
    store.save(State(active="blue"))

    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        store.save(State(active="green"))
    monkeypatch.undo()
    assert store.load().active == "blue"
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from rollout.store import FileStore
    with FileStore(Path(sys.argv[1])).lock("deploy v9"):
        print("locked", flush=True)
        time.sleep(30)
    """
)


def test_second_rollout_is_refused_while_one_runs(tmp_path: Path) -> None:
    path = tmp_path / "rollout.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        store = FileStore(path)
        assert store.is_locked()
        with (
            pytest.raises(
                RolloutLocked, match=rf"another rollout is running \(.*pid {proc.pid}: deploy v9"
            ),
            store.lock("deploy v10"),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()
    # The kernel released the dead holder's lock: no stale lock to clean up by hand.
    deadline = time.monotonic() + 5
    while store.is_locked() and time.monotonic() < deadline:
        time.sleep(0.05)
    with store.lock("deploy v10"):
        assert store.is_locked() is True


def test_an_abort_request_reaches_the_holder_and_is_cleared(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "rollout.json")
    store.request_abort("stale request of a rollout that is gone")
    with store.lock("deploy v11"):
        assert store.abort_requested() == ""  # a new rollout starts with no request
        store.request_abort("ops@laptop")
        assert store.abort_requested() == "ops@laptop"
    assert store.abort_requested() == ""
