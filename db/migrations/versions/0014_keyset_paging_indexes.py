"""indexes for reading lists a page at a time in the urgency order

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commitments_status_due_at_key"), ["status", "due_at", "key"]
        )
        batch_op.create_index(
            batch_op.f("ix_commitments_officer_id_status_due_at_key"),
            ["officer_id", "status", "due_at", "key"],
        )


def downgrade() -> None:
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitments_officer_id_status_due_at_key"))
        batch_op.drop_index(batch_op.f("ix_commitments_status_due_at_key"))
