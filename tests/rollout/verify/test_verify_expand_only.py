"""The migration checker on sample Alembic revision files, and pending-revision discovery."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kitcore.migrations import pending_revisions
from rollout.verify.expand_only import check_script

HEADER = '''
"""{doc}"""
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    op.drop_table("anything")
'''


def revision(tmp: Path, rev: str, body: str, down: str | None = None) -> Path:
    """Write one revision file with BODY as its upgrade()."""
    path = tmp / "versions" / f"{rev}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = HEADER.format(
        doc=rev, rev=rev, down=repr(down), body=textwrap.indent(textwrap.dedent(body), "    ")
    )
    path.write_text(text)
    return path


CONCURRENT = """
with op.get_context().autocommit_block():
    op.create_index("ix_items_title", "items", ["title"], postgresql_concurrently=True)
"""
SAFE = [
    'op.add_column("items", sa.Column("note", sa.Text(), nullable=True))',
    'op.add_column("items", sa.Column("n", sa.Integer(), nullable=False, server_default="0"))',
    'op.create_table("tags", sa.Column("id", sa.Integer(), nullable=False))',
    'op.create_table("tags", sa.Column("id", sa.Integer()))\nop.create_index("i", "tags", ["id"])',
    'op.create_table("t", sa.Column("a", sa.Text()))\nop.create_unique_constraint("u", "t", ["a"])',
    'op.alter_column("items", "title", type_=sa.String(400), existing_type=sa.String(200))',
    'op.alter_column("items", "title", type_=sa.Text(), existing_type=sa.String(200))',
    'op.alter_column("items", "title", nullable=True)',
    CONCURRENT,
    "with op.get_context().autocommit_block():\n"
    '    op.execute("CREATE INDEX CONCURRENTLY ix ON items (title)")',
    'with op.batch_alter_table("items") as b:\n    b.add_column(sa.Column("x", sa.Text()))',
    'op.execute("ALTER TABLE items ADD COLUMN note text")',
    'op.execute("ALTER TABLE items ADD COLUMN n int NOT NULL DEFAULT 0")',
    "op.execute(\"UPDATE items SET body = '' WHERE body IS NULL\")",
    'op.execute("ALTER TABLE items ALTER COLUMN body DROP NOT NULL")',
    'op.execute("CREATE TABLE tags (id int PRIMARY KEY); CREATE INDEX ix ON tags (id)")',
    'op.execute(sa.table("items", sa.column("n")).update().values(n=0))',
    'op.get_bind().exec_driver_sql("SELECT 1")',
]
UNSAFE = [
    ('op.drop_column("items", "body")', "drop_column"),
    ('op.drop_table("items")', "drop_table"),
    ('op.rename_table("items", "notes")', "rename_table"),
    ('op.alter_column("items", "title", new_column_name="name")', "alter_column"),
    ('op.add_column("items", sa.Column("n", sa.Integer(), nullable=False))', "add_column"),
    ('op.add_column("items", sa.Column("u", sa.Integer(), sa.ForeignKey("users.id")))',
     "add_column"),
    ('op.alter_column("items", "body", nullable=False)', "alter_column"),
    ('op.alter_column("items", "title", type_=sa.String(50), existing_type=sa.String(200))',
     "alter_column"),
    ('op.alter_column("items", "count", type_=sa.SmallInteger())', "alter_column"),
    ('op.execute("ALTER TABLE items DROP COLUMN body")', "execute"),
    ('op.execute(sa.text("ALTER TABLE items RENAME TO notes"))', "execute"),
    ('with op.batch_alter_table("items") as b:\n    b.drop_column("body")', "drop_column"),
    # What the regular expressions of the first version let through:
    ('op.execute("ALTER TABLE items DROP body")', "execute"),
    ('op.execute("alter table items rename column title to name")', "execute"),
    ('op.execute("ALTER TABLE items ALTER title TYPE varchar(50)")', "execute"),
    ('op.execute("ALTER TABLE items ALTER COLUMN body SET NOT NULL")', "execute"),
    ('op.get_bind().exec_driver_sql("ALTER TABLE items DROP body")', "exec_driver_sql"),
    ('op.execute("DELETE FROM items WHERE owner_id IS NULL")', "execute"),
    ('op.execute(sa.table("items").delete())', "execute"),
    ('op.execute("TRUNCATE items")', "execute"),
    ('op.execute("ALTER TABLE items ADD COLUMN n int NOT NULL")', "execute"),
    ('op.execute("ALTER TABLE items ADD CONSTRAINT ck_t CHECK (length(title) < 50) NOT VALID")',
     "execute"),
    ('op.execute("ALTER TABLE items ADD CONSTRAINT uq_t UNIQUE (title)")', "execute"),
    ('op.execute("ALTER TABLE items ADD CONSTRAINT fk FOREIGN KEY (o) REFERENCES users (id)")',
     "execute"),
    ('op.execute("ALTER TABLE items ADD COLUMN o int REFERENCES users (id)")', "execute"),
    ('op.execute("ALTER TABLE items RENAME CONSTRAINT a TO b")', "execute"),
    ('op.execute("CREATE UNIQUE INDEX ix ON items (title)")', "execute"),
    ('op.execute("CREATE INDEX ix ON items (title)")', "execute"),
    ('op.execute("CREATE INDEX CONCURRENTLY ix ON items (title)")', "execute"),
    ('op.execute("ALTER TABLE (")', "execute"),  # unreadable: refused
    ('op.execute(statement)', "execute"),  # not a literal: refused
    ('op.create_unique_constraint("uq_items_title", "items", ["title"])',
     "create_unique_constraint"),
    ('op.create_foreign_key("fk", "items", "users", ["owner_id"], ["id"])', "create_foreign_key"),
    ('op.create_check_constraint("ck", "items", "length(title) < 50")', "create_check_constraint"),
    ('with op.batch_alter_table("items") as b:\n    b.create_unique_constraint("u", ["title"])',
     "create_unique_constraint"),
    ('op.create_index("ix_items_title", "items", ["title"])', "create_index"),
    ('op.create_index("ix", "items", ["title"], unique=True, postgresql_concurrently=True)',
     "create_index"),
    ('op.create_index("ix", "items", ["title"], postgresql_concurrently=True)', "create_index"),
]  # fmt: skip


@pytest.mark.parametrize("body", SAFE)
def test_expand_operations_pass(tmp_path: Path, body: str) -> None:
    assert check_script(revision(tmp_path, "r1", body)) == []


@pytest.mark.parametrize(("body", "operation"), UNSAFE)
def test_contracting_operations_are_found(tmp_path: Path, body: str, operation: str) -> None:
    findings = check_script(revision(tmp_path, "r1", body))
    assert [f.operation for f in findings] == [operation]
    assert findings[0].revision_file == "r1.py"
    assert findings[0].line > 0


def test_downgrade_is_ignored_and_every_finding_listed(tmp_path: Path) -> None:
    body = 'op.drop_column("items", "a")\nop.add_column("items", sa.Column("b", sa.Text()))\n'
    body += 'op.drop_table("old")'
    findings = check_script(revision(tmp_path, "r1", body))
    assert [f.operation for f in findings] == ["drop_column", "drop_table"]
    assert "r1.py:" in str(findings[0])


def test_pending_scripts_follow_the_chain(tmp_path: Path) -> None:
    a = revision(tmp_path, "a1", "pass")
    b = revision(tmp_path, "b2", "pass", down="a1")
    c = revision(tmp_path, "c3", "pass", down="b2")
    assert pending_revisions(tmp_path, ()) == [a, b, c]
    assert pending_revisions(tmp_path, ("a1",)) == [b, c]
    assert pending_revisions(tmp_path, ("c3",)) == []


def test_the_apps_own_migrations_are_expand_only() -> None:
    migrations = Path(__file__).resolve().parents[3] / "app" / "migrations"
    scripts = pending_revisions(migrations, ())
    assert scripts, "the app has no revision scripts"
    assert [f for s in scripts for f in check_script(s)] == []
