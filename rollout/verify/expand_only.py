"""Refuse Alembic revisions that the version still serving cannot live with (expand only).

The pending revision scripts are parsed with ast (never imported or executed) and every
operation in their upgrade() is classified (`expand_ops.py`); the SQL of op.execute and
exec_driver_sql is parsed by sqlglot (`expand_sql.py`). Contracting operations break the old
colour, which keeps serving until the switch; they belong in a later release, once no running
version uses the old schema:

- dropping or renaming a table or column, changing a column's type (unless provably widening),
  making a column NOT NULL, adding a NOT NULL column without a server default;
- new unique, foreign key, check or primary key constraints on existing tables;
- DELETE and TRUNCATE;
- an index built on an existing table without CONCURRENTLY (writes wait for the build), or with
  CONCURRENTLY inside Alembic's transaction (PostgreSQL refuses it).

Anything in a table created by the same revision is fine: the old version never saw it.

The recipe for an index on a live table (proven against PostgreSQL by the tests)::

    def upgrade() -> None:
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_items_title", "items", ["title"], postgresql_concurrently=True,
                if_not_exists=True,  # a failed concurrent build leaves an INVALID index behind
            )
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rollout.verify.expand_ops import call_problems, literal
from rollout.verify.expand_sql import Scope
from rollout.verify.verdict import Verdict


@dataclass(frozen=True)
class Finding:
    """One operation that is not backward compatible."""

    revision_file: str
    line: int
    operation: str
    reason: str

    def __str__(self) -> str:
        return f"{self.revision_file}:{self.line}: {self.operation}: {self.reason}"


def _with_kind(item: ast.withitem) -> tuple[str, str | None]:
    """Return (autocommit | batch | other, the batch table) for one `with` item."""
    call = item.context_expr
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
        if call.func.attr == "autocommit_block":
            return "autocommit", None
        if call.func.attr == "batch_alter_table":
            return "batch", literal(call.args[0] if call.args else None)
    return "other", None


class _Upgrade(ast.NodeVisitor):
    """Walk upgrade() in order, knowing the enclosing autocommit and batch blocks."""

    def __init__(self, file_name: str, created_tables: set[str]) -> None:
        self.file_name = file_name
        self.scope = Scope(created_tables=created_tables)
        self.table_of: dict[str, str] = {}  # batch_op alias -> its table
        self.findings: list[Finding] = []

    def visit_With(self, node: ast.With) -> None:
        outer = self.scope.autocommit
        for item in node.items:
            kind, table = _with_kind(item)
            if kind == "autocommit":
                self.scope.autocommit = True
            if kind == "batch" and table and isinstance(item.optional_vars, ast.Name):
                self.table_of[item.optional_vars.id] = table
            self.visit(item.context_expr)
        for statement in node.body:
            self.visit(statement)
        self.scope.autocommit = outer

    def visit_Call(self, node: ast.Call) -> None:
        operation = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        for reason in call_problems(node, self.table_of, self.scope):
            self.findings.append(Finding(self.file_name, node.lineno, operation, reason))
        self.generic_visit(node)


def _created_tables(function: ast.FunctionDef) -> set[str]:
    """Return the (lower-cased) names of the tables op.create_table makes in FUNCTION."""
    names = set()
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "create_table"
        ):
            name = literal(node.args[0] if node.args else None)
            if name:
                names.add(name.lower())
    return names


def check_script(path: Path) -> list[Finding]:
    """Return the backward-incompatible operations in one revision script's upgrade()."""
    tree = ast.parse(path.read_text(), filename=str(path))
    upgrade = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None
    )
    if upgrade is None:
        return []
    walker = _Upgrade(path.name, _created_tables(upgrade))
    for statement in upgrade.body:
        walker.visit(statement)
    return sorted(walker.findings, key=lambda f: f.line)


def check_scripts(paths: Iterable[Path]) -> list[Finding]:
    """Check several revision scripts."""
    return [f for p in paths for f in check_script(p)]


def judge(findings: list[Finding]) -> Verdict:
    """The expand-only verdict of the pending revisions."""
    return Verdict.of("migrations", [str(f) for f in findings], "expand only")
