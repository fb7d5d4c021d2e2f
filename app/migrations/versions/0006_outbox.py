"""Outbox: jobs written in the transaction of the change that calls for them.

Expand-only: a new table the running version does not know about.

Revision ID: 0006_outbox
Revises: 0005_upload_versions
Create Date: 2026-11-28 09:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_outbox"
down_revision = "0005_upload_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(op.f("ix_outbox_relayed_at"), "outbox", ["relayed_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_relayed_at"), table_name="outbox")
    op.drop_table("outbox")
