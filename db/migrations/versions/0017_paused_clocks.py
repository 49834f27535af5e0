"""paused clocks: an item's clocks can stop (a court's stay, a prorogued assembly) and resume

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commitments") as batch:
        batch.add_column(sa.Column("paused_at", db.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("stage_paused_seconds", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("deadline_paused_seconds", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("commitments") as batch:
        for name in (
            "deadline_paused_seconds",
            "stage_paused_seconds",
            "paused_until",
            "paused_at",
        ):
            batch.drop_column(name)
