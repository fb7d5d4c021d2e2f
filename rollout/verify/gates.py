"""Gate thresholds (the service's gates file, one table per environment) and the verdict."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollout.verify.verdict import Verdict

GATE_NAMES = ("pre_switch", "post_switch", "background")
CONTROL_MODES = ("during", "after")


class GateConfigError(ValueError):
    """A gates file or an override is malformed."""


@dataclass(frozen=True)
class GateConfig:
    """Thresholds and load shape of one locust gate."""

    name: str
    users: int = 10
    spawn_rate: float = 10.0
    duration_s: int = 20
    min_requests: int = 100
    max_fail_ratio: float = 0.0
    max_p95_ms: float = 500.0
    max_p99_ms: float = 1000.0
    read_only: bool = False  # no sign-in and no writes: the load only reads (an environment's call)
    cleanup: bool = False  # the load-test account deletes what it wrote when the load stops
    # The control (rollout/verify/control.py): "during" loads the serving colour at the same
    # time as the gate (a shared fault hits both), "after" only once the gate failed.
    control: str = "after"
    # After a failure whose control failed as badly (inconclusive): wait, then retry once.
    retry_after_s: float = 10.0
    # A failure burst this short that ended in clean_tail_s of clean load is inconclusive,
    # even beside a passing control: an outage the serving colour's warm state rode out
    # (rollout/verify/burst.py). 0 turns it off.
    max_burst_s: float = 5.0
    clean_tail_s: float = 3.0
    # What users saw after the switch (rollout/verify/observe.py; read with post_switch).
    observe_min_requests: int = 50
    observe_max_p99_ms: float = 1000.0
    slo_target: float = 0.999
    max_burn_rate: float = 14.4
    short_window_s: float = 5.0

    def to_json(self) -> str:
        """Serialise for the locust plugin's --gate-json option."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> GateConfig:
        """Parse what to_json wrote."""
        return cls(**_coerce(cls, json.loads(text)))

    def with_overrides(self, overrides: dict[str, str]) -> GateConfig:
        """Return a copy with KEY=VALUE overrides applied (values converted to the field type)."""
        return dataclasses.replace(self, **_coerce(GateConfig, dict(overrides)))


def _flag(value: Any) -> bool:
    """Read a boolean from TOML (true/false) or the command line (true/false/1/0/yes/no)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(value)


def _coerce(cls: type[GateConfig], raw: dict[str, Any]) -> dict[str, Any]:
    """Check keys against the dataclass fields and convert values to the declared types."""
    types = {f.name: f.type for f in dataclasses.fields(cls)}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in types:
            raise GateConfigError(f"unknown gate setting {key!r} (known: {', '.join(types)})")
        kinds: dict[str, Callable[[Any], Any]] = {
            "int": int,
            "float": float,
            "str": str,
            "bool": _flag,
        }
        kind = kinds[str(types[key])]
        try:
            out[key] = kind(value)
        except (TypeError, ValueError) as exc:
            name = str(types[key])
            raise GateConfigError(f"gate setting {key}={value!r} is not a {name}") from exc
        if kind in (int, float) and out[key] < 0:
            raise GateConfigError(f"gate setting {key} must not be negative")
        if key == "control" and out[key] not in CONTROL_MODES:
            raise GateConfigError(f"gate setting control must be one of {', '.join(CONTROL_MODES)}")
    return out


def load_gates(path: Path, environment: str = "local") -> dict[str, GateConfig]:
    """Read every [ENVIRONMENT.GATE] table of a gates TOML file for one environment."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GateConfigError(f"cannot read gates file {path}: {exc}") from exc
    tables = data.get(environment)
    if not isinstance(tables, dict) or not tables:
        known = ", ".join(sorted(data)) or "none"
        raise GateConfigError(f"{path} has no [{environment}.GATE] tables (environments: {known})")
    return {
        name: GateConfig(**_coerce(GateConfig, {**t, "name": name})) for name, t in tables.items()
    }


def parse_overrides(items: list[str]) -> dict[str, dict[str, str]]:
    """Turn ['pre_switch.max_p95_ms=300', ...] into {'pre_switch': {'max_p95_ms': '300'}}."""
    result: dict[str, dict[str, str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        gate, dot, setting = key.partition(".")
        if not sep or not dot or not gate or not setting:
            raise GateConfigError(f"override {item!r} is not GATE.SETTING=VALUE")
        result.setdefault(gate.strip(), {})[setting.strip()] = value.strip()
    return result


def resolve_gates(
    path: Path, overrides: list[str], environment: str = "local"
) -> dict[str, GateConfig]:
    """Load an environment's gates and apply command-line overrides to them."""
    gates = load_gates(path, environment)
    for gate, values in parse_overrides(overrides).items():
        if gate not in gates:
            raise GateConfigError(
                f"override names unknown gate {gate!r} (known: {', '.join(gates)})"
            )
        gates[gate] = gates[gate].with_overrides(values)
    return gates


@dataclass(frozen=True)
class Measures:
    """What a locust run measured, read from locust's own stats objects."""

    num_requests: int
    num_failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float = 0.0

    @property
    def fail_ratio(self) -> float:
        """Failures per request (0 when nothing ran)."""
        return self.num_failures / self.num_requests if self.num_requests else 0.0


def evaluate(cfg: GateConfig, m: Measures) -> Verdict:
    """Compare measures with the thresholds; every broken threshold becomes a reason."""
    reasons = []
    if m.num_requests < cfg.min_requests:
        reasons.append(f"only {m.num_requests} requests (minimum {cfg.min_requests})")
    if m.fail_ratio > cfg.max_fail_ratio:
        reasons.append(
            f"failure ratio {m.fail_ratio:.4f} ({m.num_failures}/{m.num_requests}) "
            f"above {cfg.max_fail_ratio}"
        )
    if m.p95_ms > cfg.max_p95_ms:
        reasons.append(f"p95 {m.p95_ms:.0f} ms above {cfg.max_p95_ms:.0f} ms")
    if m.p99_ms > cfg.max_p99_ms:
        reasons.append(f"p99 {m.p99_ms:.0f} ms above {cfg.max_p99_ms:.0f} ms")
    return Verdict.of(f"gate {cfg.name}", reasons)
