"""Window accounting, the rule of three, outcomes and the soak's criteria."""

from __future__ import annotations

import pytest

from rollout.soak.accounting import (
    Figures,
    Request,
    RolloutResult,
    SoakExit,
    Split,
    Window,
    by_kind,
    classify,
    inside,
    rule_of_three,
    split,
)


def req(t: float, dur: float = 0.1, ok: bool = True) -> Request:
    return Request(t, dur, "GET", "/", 200 if ok else 502, "blue", ok)


WINDOWS = [Window("restart-redis", 10.0, 20.0), Window("slow-db", 30.0, 35.0)]


@pytest.mark.parametrize(
    ("t", "dur", "want"),
    [
        (5.0, 1.0, False),  # before
        (9.5, 1.0, True),  # still running when the fault starts
        (15.0, 0.1, True),
        (19.99, 0.1, True),
        (20.0, 0.1, False),  # starts as the window ends
        (25.0, 1.0, False),  # between windows
        (34.0, 0.5, True),
    ],
)
def test_a_request_is_inside_when_it_overlaps_a_window(t: float, dur: float, want: bool) -> None:
    assert inside(req(t, dur), WINDOWS) is want


def test_split_counts_sent_and_failed_on_each_side() -> None:
    reqs = [req(1), req(2, ok=False), req(12, ok=False), req(13), req(31), req(40)]
    assert split(reqs, WINDOWS) == Split(3, 1, 3, 1)
    assert split(reqs, []) == Split(0, 0, 6, 2)


def test_failures_are_counted_by_the_fault_kind_they_fell_in() -> None:
    windows = [*WINDOWS, Window("restart-redis", 50.0, 55.0)]
    reqs = [req(1), req(2, ok=False), req(12, ok=False), req(13), req(31), req(51, ok=False)]
    assert by_kind(reqs, windows) == {"restart-redis": (3, 2), "slow-db": (1, 0)}


def test_rule_of_three() -> None:
    assert rule_of_three(300) == pytest.approx(0.01)
    assert rule_of_three(0) is None


@pytest.mark.parametrize(
    ("code", "name"),
    [(0, "promoted"), (13, "promoted"), (9, "refused"), (8, "refused"), (11, "rolled_back"),
     (14, "inconclusive"), (1, "error"), (130, "error")],
)  # fmt: skip
def test_classify(code: int, name: str) -> None:
    assert classify(code) == name


def rollout(i: int, outcome: str, bad: str | None = None) -> RolloutResult:
    code = {"promoted": 0, "refused": 9, "rolled_back": 11, "inconclusive": 14}[outcome]
    return RolloutResult(i, f"v{i}", bad, 0.0, 1.0, code, outcome)


def figures(**kw: object) -> Figures:
    values: dict[str, object] = {
        "rollouts": [rollout(1, "promoted"), rollout(2, "refused", "slow")],
        "split": Split(10, 3, 1000, 0),
        "writes_accepted": 50,
        "writes_found": 50,
        "jobs_enqueued": 5,
        "jobs_completed": 5,
        "windows": WINDOWS,
        "planned": 2,
    }
    return Figures(**(values | kw))  # type: ignore[arg-type]


def test_a_clean_soak_passes_with_the_bound_of_zero_failures() -> None:
    f = figures()
    assert f.exit_code() == SoakExit.PASSED
    assert f.upper_bound == pytest.approx(0.003)
    assert f.count("promoted") == 1
    assert f.count("refused", bad=True) == 1
    assert f.as_dict()["unmet"] == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"writes_found": 49}, SoakExit.WRITES_LOST),
        ({"split": Split(10, 3, 1000, 1)}, SoakExit.FAILURES_OUTSIDE_FAULTS),
        ({"rollouts": [rollout(1, "refused"), rollout(2, "refused", "slow")]},
         SoakExit.GOOD_REFUSED),
        ({"rollouts": [rollout(1, "inconclusive")]}, SoakExit.GOOD_REFUSED),
        ({"rollouts": [rollout(1, "promoted"), rollout(2, "rolled_back", "error")]},
         SoakExit.BAD_NOT_REFUSED),
        ({"jobs_completed": 4}, SoakExit.JOBS_NOT_COMPLETED),
        ({"planned": 3}, SoakExit.TIME_BOUND),
    ],
)  # fmt: skip
def test_each_unmet_criterion_has_its_exit_code(changes: dict[str, object], code: SoakExit) -> None:
    f = figures(**changes)
    assert f.exit_code() == code
    assert f.unmet()[0][0] == code


def test_no_bound_when_requests_failed_outside_faults() -> None:
    assert figures(split=Split(0, 0, 1000, 2)).upper_bound is None
