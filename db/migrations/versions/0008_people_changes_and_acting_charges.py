"""people changes and acting charges: who changed which person, and charges held for another

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_email", sa.String(length=254), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_changes_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_changes")),
    )
    op.create_index(
        op.f("ix_person_changes_person_id_at"), "person_changes", ["person_id", "at"], unique=False
    )
    op.create_table(
        "acting_charges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("for_person_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.CheckConstraint("until >= starts_on", name=op.f("ck_acting_charges_until_after_start")),
        sa.ForeignKeyConstraint(
            ["for_person_id"], ["people.id"], name=op.f("fk_acting_charges_for_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_acting_charges_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acting_charges")),
    )
    op.create_index(
        op.f("ix_acting_charges_for_person_id_until"),
        "acting_charges",
        ["for_person_id", "until"],
        unique=False,
    )
    op.create_index(
        op.f("ix_acting_charges_person_id_until"),
        "acting_charges",
        ["person_id", "until"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_acting_charges_person_id_until"), table_name="acting_charges")
    op.drop_index(op.f("ix_acting_charges_for_person_id_until"), table_name="acting_charges")
    op.drop_table("acting_charges")
    op.drop_index(op.f("ix_person_changes_person_id_at"), table_name="person_changes")
    op.drop_table("person_changes")
