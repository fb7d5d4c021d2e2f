"""Uploads: the object version the processing job verified (downloads are pinned to it).

Expand-only: a nullable column the running version neither reads nor writes.

Revision ID: 0005_upload_versions
Revises: 0004_sessions
Create Date: 2026-11-28 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_upload_versions"
down_revision = "0004_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("object_version", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("object_version")
