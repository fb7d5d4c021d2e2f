"""In-gate faults wait for the gate's load: the idle colour's first request in the access log."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rollout.soak import inject
from rollout.soak.accounting import Window
from rollout.soak.gatewatch import LogTail, answered_by
from rollout.soak.inject import FaultError, Injector
from stack.nginx import ACCESS_LOG


def line(colour: str, t: float) -> str:
    return json.dumps({"msec": t, "colour": colour, "status": 200}) + "\n"


def test_the_tail_returns_only_new_complete_lines(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(line("blue", 1))
    tail = LogTail(log)
    assert tail.lines() == []  # what was there before is not new
    with log.open("a") as f:
        f.write(line("green", 2) + '{"msec": 3, "col')
    assert [json.loads(x)["colour"] for x in tail.lines()] == ["green"]
    with log.open("a") as f:
        f.write('our": "blue"}\n')
    assert json.loads(tail.lines()[0])["colour"] == "blue"  # the cut line, once complete
    assert LogTail(tmp_path / "missing.log").lines() == []


def test_answered_by_wants_the_colour_after_the_start() -> None:
    lines = [line("blue", 10).strip(), "not json", '{"colour": "green"}', line("green", 5).strip()]
    assert answered_by(lines, "blue", since=9)
    assert not answered_by(lines, "blue", since=11)
    assert not answered_by(lines, "green", since=9)  # too early, or no time at all


class Store:
    """The rollout's record, moved to the gate phase by the test."""

    def __init__(self) -> None:
        self.phase = "deploy"

    def load(self) -> Any:
        return SimpleNamespace(current=SimpleNamespace(phase=self.phase))


def injector(tmp_path: Path, injected: list[tuple[str, float]]) -> Injector:
    stack: Any = SimpleNamespace(supervisor=None, nginx=SimpleNamespace(prefix=tmp_path))
    (tmp_path / ACCESS_LOG).parent.mkdir(parents=True)
    (tmp_path / ACCESS_LOG).write_text(line("green", time.time()))  # a smoke check, earlier
    faults = Injector(stack, None)

    def record(kind: str) -> Window:
        injected.append((kind, time.time()))
        return Window(kind, time.time(), time.time())

    faults.inject = record  # type: ignore[method-assign]
    return faults


def test_the_fault_lands_after_the_gate_s_first_request(tmp_path: Path) -> None:
    injected: list[tuple[str, float]] = []
    faults, store, stop = injector(tmp_path, injected), Store(), threading.Event()
    thread = threading.Thread(
        target=faults.in_gate, args=("restart-redis-in-gate", "green", store, stop)
    )
    thread.start()
    time.sleep(0.3)
    store.phase = "gate"
    time.sleep(0.5)  # locust starting: nothing reaches green yet
    assert injected == []
    first = time.time()
    with (tmp_path / ACCESS_LOG).open("a") as f:
        f.write(line("blue", first) + line("green", first))  # the control, then the gate
    thread.join(10)
    assert [kind for kind, _ in injected] == ["restart-redis-in-gate"]
    assert injected[0][1] - first >= inject.GATE_LEAD_S


def test_a_gate_whose_load_never_comes_is_a_failed_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inject, "GATE_START_S", 0.3)
    injected: list[tuple[str, float]] = []
    faults, store = injector(tmp_path, injected), Store()
    store.phase = "gate"
    with pytest.raises(FaultError, match="the gate's load never reached green"):
        faults.in_gate("restart-redis-in-gate", "green", store, threading.Event())
    assert injected == []


def test_a_rollout_that_ends_before_its_gate_injects_nothing(tmp_path: Path) -> None:
    injected: list[tuple[str, float]] = []
    stop = threading.Event()
    stop.set()
    assert (
        injector(tmp_path, injected).in_gate("restart-redis-in-gate", "green", Store(), stop)
        is None
    )
    assert injected == []
