"""drafts: refused answers kept, encrypted, for their member to finish

Revision ID: a11c0de00003
Revises: a11c0de00001
Create Date: 2026-12-02 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.crypto
import models.db

revision: str = "a11c0de00003"
down_revision: str | None = "a11c0de00001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=80), nullable=False),
        sa.Column("form", sa.String(length=16), nullable=False),
        sa.Column("target", sa.JSON(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("answer", models.crypto.EncryptedJSON(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", models.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_drafts_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_drafts_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drafts_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_drafts_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drafts_member_id"))
        batch_op.drop_index(batch_op.f("ix_drafts_incident_id"))
    op.drop_table("drafts")
