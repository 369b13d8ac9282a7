"""review outcomes: reporter explanation and findings; messages: claimed_at

Revision ID: b7c1e0a4f5d2
Revises: 0540883db67b
Create Date: 2026-11-25 07:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.crypto
import models.db

revision: str = "b7c1e0a4f5d2"
down_revision: str | None = "0540883db67b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_outcomes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reporter_explanation", models.crypto.EncryptedText(), nullable=True)
        )
        batch_op.add_column(sa.Column("findings", models.crypto.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column("findings_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("findings_at", models.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_review_outcomes_findings_by_id_members", "members", ["findings_by_id"], ["id"]
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_at", models.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
    with op.batch_alter_table("review_outcomes", schema=None) as batch_op:
        batch_op.drop_constraint("fk_review_outcomes_findings_by_id_members", type_="foreignkey")
        batch_op.drop_column("findings_at")
        batch_op.drop_column("findings_by_id")
        batch_op.drop_column("findings")
        batch_op.drop_column("reporter_explanation")
