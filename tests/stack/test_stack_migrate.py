"""The migration command the stack runs: the contract's command with `upgrade head`."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitcore.contract import Contract, load_contract
from kitcore.release import Release
from stack import LocalStack
from tests.stack.conftest import REPO, make_config

REFERENCE = load_contract(REPO / "kit.toml")
TODO_EXAMPLE = load_contract(REPO / "examples" / "todo" / "kit.toml")


@pytest.mark.parametrize(
    ("contract", "expected"),
    [
        (REFERENCE, ["flask", "--app", "app.wsgi", "db", "upgrade", "head"]),
        # Plain Alembic refuses `upgrade` without a target revision.
        (TODO_EXAMPLE, ["alembic", "-c", "todo/alembic.ini", "upgrade", "head"]),
    ],
    ids=["flask-migrate", "plain-alembic"],
)
def test_migrate_upgrades_to_head(
    contract: Contract, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = LocalStack(make_config(tmp_path / "state"), contract)
    ran: list[list[str]] = []
    monkeypatch.setattr(stack, "run_in_release", lambda _release, argv: ran.append(argv) or "")
    stack.migrate(Release("v1", tmp_path))
    assert ran == [expected]
