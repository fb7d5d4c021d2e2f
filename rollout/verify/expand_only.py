"""Refuse Alembic revisions that the version still serving cannot live with (expand only).

The pending revision scripts are parsed with ast (never imported or executed) and every
operation in their upgrade() is classified. Contracting operations (drop or rename of a
table or column, a NOT NULL column without a server default, a column made NOT NULL, a
changed column type, raw SQL that drops, renames or alters) break the old colour, which
keeps serving until the switch; they belong in a later release, once no running version
uses the old schema.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rollout.verify.verdict import Verdict

# Widening a string is safe for the old version; any other type change may narrow it.
_WIDENING = re.compile(r"^(sa\.)?(String|Text|Unicode|UnicodeText)\b")
_RAW_SQL_DANGER = re.compile(
    r"\b(DROP\s+(TABLE|COLUMN|VIEW|INDEX)|RENAME\s+(TO|COLUMN)|ALTER\s+COLUMN\s+\w+\s+"
    r"(TYPE|SET\s+NOT\s+NULL)|TRUNCATE)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    """One operation that is not backward compatible."""

    revision_file: str
    line: int
    operation: str
    reason: str

    def __str__(self) -> str:
        return f"{self.revision_file}:{self.line}: {self.operation}: {self.reason}"


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _is_none(node: ast.expr | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def _string_length(node: ast.expr | None) -> int | None:
    """Return N for String(N)/sa.String(length=N), else None."""
    if not isinstance(node, ast.Call):
        return None
    arg = node.args[0] if node.args else _kw(node, "length")
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, int) else None


def _column_problem(col: ast.expr) -> str | None:
    """Say why an added sa.Column breaks the old version, if it does."""
    if not isinstance(col, ast.Call):
        return None
    if _is_false(_kw(col, "nullable")) and _is_none(_kw(col, "server_default")):
        # The old version inserts rows without this column: they would be rejected.
        return "adds a NOT NULL column without a server_default"
    return None


def _type_problem(call: ast.Call) -> str | None:
    """Say why an alter_column type change may narrow the column, if it may."""
    new = _kw(call, "type_")
    if new is None:
        return None
    new_src = ast.unparse(new)
    old = _kw(call, "existing_type")
    if _WIDENING.match(new_src) and "Text" in new_src:
        return None
    if _WIDENING.match(new_src) and old is not None:
        new_len, old_len = _string_length(new), _string_length(old)
        if new_len is not None and old_len is not None and new_len >= old_len:
            return None
    return f"changes the column type to {new_src} (may narrow it; existing_type proves widening)"


def _call_problem(call: ast.Call) -> tuple[str, str] | None:
    """Classify one op.* / batch_op.* call: (operation, reason) when it contracts the schema."""
    if not isinstance(call.func, ast.Attribute):
        return None
    name = call.func.attr
    if name in {"drop_table", "drop_column"}:
        return name, "drops what the running version still reads and writes"
    if name == "rename_table":
        return name, "renames a table the running version still uses"
    if name == "add_column":
        col = call.args[1] if len(call.args) > 1 else (call.args[0] if call.args else None)
        problem = _column_problem(col) if col is not None else None
        return (name, problem) if problem else None
    if name == "create_table":
        return None  # a new table is invisible to the old version, whatever its constraints
    if name == "alter_column":
        if _kw(call, "new_column_name") is not None:
            return name, "renames a column the running version still uses"
        if _is_false(_kw(call, "nullable")):
            return name, "makes a column NOT NULL while the running version may write NULLs"
        problem = _type_problem(call)
        return (name, problem) if problem else None
    if name == "execute":
        strings = [n for n in ast.walk(call) if isinstance(n, ast.Constant)]
        sql = " ".join(n.value for n in strings if isinstance(n.value, str))
        if _RAW_SQL_DANGER.search(sql):
            return name, f"raw SQL that contracts the schema: {sql.strip()[:80]!r}"
    return None


def check_script(path: Path) -> list[Finding]:
    """Return the backward-incompatible operations in one revision script's upgrade()."""
    tree = ast.parse(path.read_text(), filename=str(path))
    upgrade = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None
    )
    if upgrade is None:
        return []
    findings = []
    for node in ast.walk(upgrade):
        if isinstance(node, ast.Call):
            problem = _call_problem(node)
            if problem:
                findings.append(Finding(path.name, node.lineno, problem[0], problem[1]))
    return sorted(findings, key=lambda f: f.line)


def check_scripts(paths: Iterable[Path]) -> list[Finding]:
    """Check several revision scripts."""
    return [f for p in paths for f in check_script(p)]


def judge(findings: list[Finding]) -> Verdict:
    """The expand-only verdict of the pending revisions."""
    return Verdict.of("migrations", [str(f) for f in findings], "expand only")
