"""The soak's command line: which fault kinds it injects."""

from __future__ import annotations

import pytest

from rollout.soak.__main__ import kinds_of, parse
from rollout.soak.schedule import FAULT_KINDS


def test_every_fault_kind_by_default_and_those_left_out_are_not() -> None:
    assert kinds_of(parse(["-n", "4"])) == FAULT_KINDS
    left_out = parse(["--without", "restart-postgres-in-gate", "--without", "slow-db"])
    assert set(kinds_of(left_out)) == set(FAULT_KINDS) - {"restart-postgres-in-gate", "slow-db"}


def test_an_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse(["--without", "restart-everything"])
    assert exit_.value.code == 2
    assert "invalid choice: 'restart-everything'" in capsys.readouterr().err
