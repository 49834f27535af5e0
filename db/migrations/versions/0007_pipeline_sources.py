"""pipeline sources: digests of pipeline files already registered, so commands skip re-reading them

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pipeline_sources",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("registered_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_pipeline_sources")),
    )


def downgrade() -> None:
    op.drop_table("pipeline_sources")
