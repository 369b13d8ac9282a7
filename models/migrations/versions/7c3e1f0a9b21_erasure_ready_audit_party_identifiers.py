"""erasure-ready audit chain, party organisation and talk title

Revision ID: 7c3e1f0a9b21
Revises: c0a5e7d1b2f4
Create Date: 2026-11-25 07:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.crypto

revision: str = "7c3e1f0a9b21"
down_revision: str | None = "c0a5e7d1b2f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("salt", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("actor_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("detail_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation", models.crypto.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column("talk_title", models.crypto.EncryptedText(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_column("talk_title")
        batch_op.drop_column("organisation")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("detail_digest")
        batch_op.drop_column("actor_digest")
        batch_op.drop_column("salt")
