"""Raw SQL of a migration (op.execute, exec_driver_sql) judged by sqlglot's PostgreSQL parser.

Each statement is parsed into a syntax tree and classified like the op.* calls: what the
version still serving cannot live with is reported, everything else passes. A statement the
parser cannot read is reported too: the check never guesses in favour of a migration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Tokenizer

# Keywords that make a statement sqlglot keeps as an opaque Command contracting.
_DANGEROUS_WORDS = frozenset({"DROP", "RENAME", "TRUNCATE", "DELETE", "TYPE"})
# Dropping these removes what the old version reads; dropping an index or constraint does not.
_DROPPED_OBJECTS = frozenset({"TABLE", "VIEW", "COLUMN", "SEQUENCE", "SCHEMA", "FUNCTION", "TYPE"})


@dataclass
class Scope:
    """Where an operation stands in its revision: tables it created, inside autocommit_block."""

    created_tables: set[str] = field(default_factory=set)
    autocommit: bool = False

    def is_new(self, table: str | None) -> bool:
        """Tell whether TABLE was created by this revision (the old version never saw it)."""
        return table is not None and table.lower() in self.created_tables


def index_problem(table: str | None, unique: bool, concurrently: bool, scope: Scope) -> str | None:
    """Say why creating an index on TABLE hurts the serving version, if it does."""
    if scope.is_new(table):
        return None  # nobody reads or writes a table created in the same revision
    if unique:
        return "adds a unique index: the running version's writes may violate it"
    if not concurrently:
        return (
            "builds an index without CONCURRENTLY: writes to the table wait for the whole build "
            "(use postgresql_concurrently=True inside op.get_context().autocommit_block())"
        )
    if not scope.autocommit:
        return (
            "CREATE INDEX CONCURRENTLY cannot run inside Alembic's transaction: "
            "wrap it in `with op.get_context().autocommit_block():`"
        )
    return None


def sql_problems(sql: str, scope: Scope) -> list[str]:
    """Return why each statement of SQL contracts the schema (empty when all are safe)."""
    try:
        statements = sqlglot.parse(sql, read="postgres")
    except (ParseError, TokenError) as exc:
        return [f"cannot be parsed ({str(exc).splitlines()[0][:60]}): {_short(sql)}"]
    problems = []
    for statement in statements:
        if statement is None:
            continue
        problem = _statement_problem(statement, scope)
        if problem:
            problems.append(f"{problem}: {_short(statement.sql(dialect='postgres'))}")
    return problems


def _short(sql: str) -> str:
    return repr(" ".join(sql.split())[:80])


def _table_name(node: exp.Expr | None) -> str | None:
    table = node.find(exp.Table) if node is not None else None
    return table.name.lower() if table is not None else None


def _statement_problem(statement: exp.Expr, scope: Scope) -> str | None:
    """Classify one parsed statement."""
    if isinstance(statement, exp.Create):
        kind = str(statement.args.get("kind") or "").upper()
        if kind == "TABLE":
            scope.created_tables.add(_table_name(statement.this) or "")
            return None
        if kind == "INDEX":
            index = statement.this
            table = _table_name(index.args.get("table")) if isinstance(index, exp.Index) else None
            unique, concurrently = (
                bool(statement.args.get("unique")),
                bool(statement.args.get("concurrently")),
            )
            return index_problem(table, unique, concurrently, scope)
        return None
    if isinstance(statement, exp.Drop):
        kind = str(statement.args.get("kind") or "").upper()
        return "drops what the running version still reads" if kind in _DROPPED_OBJECTS else None
    if isinstance(statement, exp.Delete | exp.TruncateTable):
        return "deletes rows the running version still reads"
    if isinstance(statement, exp.Alter):
        return _alter_problem(statement, scope)
    if isinstance(statement, exp.Command):
        return _command_problem(statement)
    return None  # SELECT, INSERT, UPDATE (a backfill), COMMENT ...


def _alter_problem(statement: exp.Alter, scope: Scope) -> str | None:
    """Classify the actions of ALTER TABLE (ALTER INDEX ... RENAME is harmless)."""
    kind = str(statement.args.get("kind") or "").upper()
    table = _table_name(statement.this)
    if kind == "INDEX" or scope.is_new(table):
        return None
    for action in statement.args.get("actions") or []:
        problem = _action_problem(action)
        if problem:
            return problem
    return None


def _action_problem(action: exp.Expr) -> str | None:
    """Classify one action of ALTER TABLE."""
    if isinstance(action, exp.Drop):
        kind = str(action.args.get("kind") or "COLUMN").upper()
        return "drops a column the running version still uses" if kind == "COLUMN" else None
    if isinstance(action, exp.AlterRename | exp.RenameColumn):
        return "renames what the running version still uses"
    if isinstance(action, exp.AlterColumn):
        if action.args.get("dtype") is not None:
            return "changes a column's type (may narrow it or rewrite the table)"
        if action.args.get("allow_null") is False:
            return "makes a column NOT NULL while the running version may write NULLs"
        return None
    if isinstance(action, exp.AddConstraint):
        return "adds a constraint the running version's writes may violate"
    if isinstance(action, exp.ColumnDef):
        kinds = [c.args.get("kind") for c in action.args.get("constraints") or []]
        if any(isinstance(k, exp.Reference) for k in kinds):
            return "adds a foreign key the running version's deletes may violate"
        not_null = any(isinstance(k, exp.NotNullColumnConstraint) for k in kinds)
        if not_null and not any(isinstance(k, exp.DefaultColumnConstraint) for k in kinds):
            return "adds a NOT NULL column without a default"
    return None


def _command_problem(statement: exp.Command) -> str | None:
    """Judge a statement sqlglot keeps whole (e.g. RENAME CONSTRAINT) by its keywords."""
    text = f"{statement.this} {statement.expression or ''}"
    words = {token.text.upper() for token in Tokenizer().tokenize(text)}
    if words & _DANGEROUS_WORDS:
        return "is opaque to the parser and drops, renames or retypes"
    return None
