"""assembly events: a provincial assembly dissolved, prorogued or summoned, recorded once

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assembly_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_email", sa.String(length=254), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('dissolved', 'prorogued', 'summoned')", name=op.f("ck_assembly_events_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assembly_events")),
        sa.UniqueConstraint(
            "province",
            "kind",
            "effective_on",
            name=op.f("uq_assembly_events_province_kind_effective_on"),
        ),
        sa.UniqueConstraint("province", "seq", name=op.f("uq_assembly_events_province_seq")),
    )


def downgrade() -> None:
    op.drop_table("assembly_events")
