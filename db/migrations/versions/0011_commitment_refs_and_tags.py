"""commitment references (UPR, treaty body, SDG, NAP) and tags

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commitment_refs",
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_refs_commitment_id_commitments"),
        ),
        sa.PrimaryKeyConstraint("commitment_id", "kind", "value", name=op.f("pk_commitment_refs")),
    )
    with op.batch_alter_table("commitment_refs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commitment_refs_kind_value"), ["kind", "value"], unique=False
        )
    op.create_table(
        "commitment_tags",
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_tags_commitment_id_commitments"),
        ),
        sa.PrimaryKeyConstraint("commitment_id", "tag", name=op.f("pk_commitment_tags")),
    )
    with op.batch_alter_table("commitment_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commitment_tags_tag"), ["tag"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("commitment_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitment_tags_tag"))
    op.drop_table("commitment_tags")
    with op.batch_alter_table("commitment_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitment_refs_kind_value"))
    op.drop_table("commitment_refs")
