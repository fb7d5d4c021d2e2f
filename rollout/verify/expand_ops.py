"""Alembic operations (op.* and batch_op.* calls, read with ast) judged for the serving version."""

from __future__ import annotations

import ast
import re

from rollout.verify.expand_sql import Scope, index_problem, sql_problems

# Widening a string is safe for the old version; any other type change may narrow it.
_WIDENING = re.compile(r"^(sa\.)?(String|Text|Unicode|UnicodeText)\b")
_CONSTRAINTS = {
    "create_unique_constraint": "adds a unique constraint",
    "create_foreign_key": "adds a foreign key",
    "create_check_constraint": "adds a check constraint",
    "create_primary_key": "adds a primary key",
}
_RAW_SQL = {"execute", "exec_driver_sql"}


def kw(call: ast.Call, name: str) -> ast.expr | None:
    """Return the keyword argument NAME of CALL, if given."""
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _is_none(node: ast.expr | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def literal(node: ast.expr | None) -> str | None:
    """Return a string constant's value, else None."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _string_length(node: ast.expr | None) -> int | None:
    """Return N for String(N)/sa.String(length=N), else None."""
    if not isinstance(node, ast.Call):
        return None
    arg = node.args[0] if node.args else kw(node, "length")
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, int) else None


def _calls_named(node: ast.AST, *names: str) -> bool:
    """Tell whether NODE contains a call of something named like one of NAMES."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in names:
                return True
    return False


def _column_problem(col: ast.expr) -> str | None:
    """Say why an added sa.Column breaks the old version, if it does."""
    if not isinstance(col, ast.Call):
        return None
    if _is_false(kw(col, "nullable")) and _is_none(kw(col, "server_default")):
        # The old version inserts rows without this column: they would be rejected.
        return "adds a NOT NULL column without a server_default"
    if _calls_named(col, "ForeignKey"):
        return "adds a foreign key the running version's deletes may violate"
    return None


def _type_problem(call: ast.Call) -> str | None:
    """Say why an alter_column type change may narrow the column, if it may."""
    new = kw(call, "type_")
    if new is None:
        return None
    new_src = ast.unparse(new)
    old = kw(call, "existing_type")
    if _WIDENING.match(new_src) and "Text" in new_src:
        return None
    if _WIDENING.match(new_src) and old is not None:
        new_len, old_len = _string_length(new), _string_length(old)
        if new_len is not None and old_len is not None and new_len >= old_len:
            return None
    return f"changes the column type to {new_src} (may narrow it; existing_type proves widening)"


def _raw_sql_problems(call: ast.Call, scope: Scope) -> list[str]:
    """Judge op.execute / exec_driver_sql: literal SQL is parsed, expressions are read."""
    arg = call.args[0] if call.args else kw(call, "sqltext") or kw(call, "statement")
    if arg is None:
        return []
    sql = literal(arg)
    if sql is None and isinstance(arg, ast.Call) and arg.args:  # sa.text("...")
        sql = literal(arg.args[0])
    if sql is not None:
        return [f"raw SQL that {p}" for p in sql_problems(sql, scope)]
    if _calls_named(arg, "delete"):
        return ["deletes rows the running version still reads"]
    if _calls_named(arg, "update", "insert", "values", "select"):
        return []  # a backfill (or a read) through SQLAlchemy Core
    return [f"SQL the check cannot read (not a literal): {ast.unparse(arg)[:60]}"]


def _table_arg(call: ast.Call, position: int, *keywords: str) -> str | None:
    """Return the table an op names at POSITION (or by one of KEYWORDS), when a literal."""
    if len(call.args) > position:
        return literal(call.args[position])
    return next((literal(kw(call, k)) for k in keywords if kw(call, k) is not None), None)


def call_problems(call: ast.Call, table_of: dict[str, str], scope: Scope) -> list[str]:
    """Classify one op.* / batch_op.* call: the reasons it contracts the schema."""
    if not isinstance(call.func, ast.Attribute):
        return []
    name = call.func.attr
    owner = call.func.value
    batch_table = table_of.get(owner.id) if isinstance(owner, ast.Name) else None
    if name in _RAW_SQL:
        return _raw_sql_problems(call, scope)
    if name in {"drop_table", "drop_column"}:
        return ["drops what the running version still reads and writes"]
    if name == "rename_table":
        return ["renames a table the running version still uses"]
    if name == "create_table":
        return []  # a new table is invisible to the old version, whatever its constraints
    if name in _CONSTRAINTS:
        target = batch_table or _table_arg(call, 1, "table_name", "source_table")
        if scope.is_new(target):
            return []
        return [f"{_CONSTRAINTS[name]} the running version's writes may violate"]
    if name == "create_index":
        table = batch_table or _table_arg(call, 1, "table_name")
        concurrently = _is_true(kw(call, "postgresql_concurrently"))
        problem = index_problem(table, _is_true(kw(call, "unique")), concurrently, scope)
        return [problem] if problem else []
    table = batch_table or _table_arg(call, 0, "table_name")
    if name == "add_column":
        col = call.args[-1] if call.args else kw(call, "column")
        problem = _column_problem(col) if col is not None and not scope.is_new(table) else None
        return [problem] if problem else []
    if name == "alter_column":
        if scope.is_new(table):
            return []
        if kw(call, "new_column_name") is not None:
            return ["renames a column the running version still uses"]
        if _is_false(kw(call, "nullable")):
            return ["makes a column NOT NULL while the running version may write NULLs"]
        problem = _type_problem(call)
        return [problem] if problem else []
    return []
