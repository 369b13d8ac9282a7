"""urgent acknowledged at: when a member acknowledged the urgent page

Revision ID: b7c1e2a9d4f0
Revises: 7c3e1f0a9b21
Create Date: 2026-11-25 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = "b7c1e2a9d4f0"
down_revision: str | None = "7c3e1f0a9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("urgent_acknowledged_at", models.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("urgent_acknowledged_at")
