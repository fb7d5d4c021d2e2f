"""Gate thresholds from TOML with overrides, and the verdict on measures."""

from __future__ import annotations

from pathlib import Path

import pytest

from rollout.verify.gates import (
    GATE_NAMES,
    GateConfig,
    GateConfigError,
    Measures,
    evaluate,
    load_gates,
    resolve_gates,
)
from tests.support.contract import REFERENCE_GATES


def test_shipped_gates_file_has_every_gate() -> None:
    gates = load_gates(REFERENCE_GATES)
    assert set(GATE_NAMES) <= set(gates)
    assert all(g.max_fail_ratio == 0.0 for g in gates.values())


def test_overrides_are_typed(tmp_path: Path) -> None:
    gates = resolve_gates(REFERENCE_GATES, ["pre_switch.max_p95_ms=123", "pre_switch.users=3"])
    assert gates["pre_switch"].max_p95_ms == 123.0
    assert gates["pre_switch"].users == 3


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("pre_switch.nope=1", "unknown gate setting"),
        ("nogate.users=1", "unknown gate"),
        ("pre_switch.users=many", "is not a int"),
        ("pre_switch.users=-1", "must not be negative"),
        ("pre_switch", "GATE.SETTING=VALUE"),
    ],
)
def test_bad_overrides_are_refused(override: str, message: str) -> None:
    with pytest.raises(GateConfigError, match=message):
        resolve_gates(REFERENCE_GATES, [override])


def test_bad_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "g.toml").write_text("[other.pre_switch]\nusers = 1\n")
    with pytest.raises(GateConfigError, match=r"no \[local\.GATE\] tables \(environments: other\)"):
        load_gates(tmp_path / "g.toml")
    with pytest.raises(GateConfigError, match="cannot read"):
        load_gates(tmp_path / "missing.toml")


def test_json_round_trip() -> None:
    cfg = GateConfig(name="x", users=4, max_p99_ms=9.5)
    assert GateConfig.from_json(cfg.to_json()) == cfg


CFG = GateConfig(name="g", min_requests=100, max_fail_ratio=0.01, max_p95_ms=200, max_p99_ms=400)


@pytest.mark.parametrize(
    ("measures", "reasons"),
    [
        (Measures(1000, 0, 5, 100, 300), []),
        (Measures(1000, 10, 5, 100, 300), []),  # exactly at the ratio
        (Measures(1000, 11, 5, 100, 300), ["failure ratio 0.0110 (11/1000) above 0.01"]),
        (Measures(99, 0, 5, 100, 300), ["only 99 requests (minimum 100)"]),
        (Measures(1000, 0, 5, 201, 300), ["p95 201 ms above 200 ms"]),
        (Measures(1000, 0, 5, 100, 401), ["p99 401 ms above 400 ms"]),
        (Measures(0, 0, 0, 0, 0), ["only 0 requests (minimum 100)"]),
    ],
)
def test_verdict(measures: Measures, reasons: list[str]) -> None:
    verdict = evaluate(CFG, measures)
    assert verdict.reasons == reasons
    assert verdict.passed is (not reasons)


def test_each_environment_has_its_own_tables(tmp_path: Path) -> None:
    gates = tmp_path / "g.toml"
    gates.write_text("[local.pre_switch]\nusers = 2\n\n[staging.pre_switch]\nusers = 40\n")
    assert load_gates(gates)["pre_switch"].users == 2
    assert load_gates(gates, "staging")["pre_switch"].users == 40
    with pytest.raises(GateConfigError, match=r"no \[prod\.GATE\]"):
        load_gates(gates, "prod")


def test_production_gates_write_nothing_or_clean_up_and_local_ones_are_unchanged() -> None:
    for environment in ("staging", "prod"):
        for gate in load_gates(REFERENCE_GATES, environment).values():
            assert gate.read_only or gate.cleanup, (environment, gate.name)
    for environment in ("local", "dev"):
        for gate in load_gates(REFERENCE_GATES, environment).values():
            assert (gate.read_only, gate.cleanup) == (False, False), (environment, gate.name)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("0", False), ("yes", True)])
def test_read_only_is_a_flag_on_the_command_line(value: str, expected: bool) -> None:
    gate = resolve_gates(REFERENCE_GATES, [f"pre_switch.read_only={value}"])["pre_switch"]
    assert gate.read_only is expected
    assert GateConfig.from_json(gate.to_json()) == gate


def test_a_flag_that_is_not_one_is_refused() -> None:
    with pytest.raises(GateConfigError, match="read_only='maybe' is not a bool"):
        resolve_gates(REFERENCE_GATES, ["pre_switch.read_only=maybe"])
