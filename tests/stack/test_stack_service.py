"""The service's commands: migrations run the contract's command with `upgrade head`."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitcore.contract import Contract, load_contract
from kitcore.release import Release
from stack.service import ServiceCommands
from tests.stack.conftest import REPO

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
    commands = ServiceCommands(contract, tmp_path / "state", print)
    ran: list[list[str]] = []
    monkeypatch.setattr(commands, "run", lambda _release, argv, _env: ran.append(argv) or "")
    commands.migrate(Release("v1", tmp_path), {})
    assert ran == [expected]
