"""needs you by index: a stall's highest rung and whether it was answered, on the commitment;
one row per recipient of an escalation

Revision ID: 0019
Revises: 0018

"Needs you" ordered every candidate by values computed from all the escalations, and found
"escalated to me" by searching each escalation's list of recipients: a whole-table pass
each, 1.3 s at 100,000 commitments. Both are now read by index. The new values are filled
from the escalations already recorded, so nothing changes for a running installation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("commitments") as batch:
        batch.add_column(
            sa.Column("escalated_level", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("answered", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    for columns in (("answered", "status"), ("exempt", "status"), ("snoozed_until", "status")):
        op.create_index(f"ix_commitments_{'_'.join(columns)}", "commitments", list(columns))
    op.create_index(
        "ix_commitments_needs_order",
        "commitments",
        [sa.text("escalated_level DESC"), "status", "due_at", "key"],
    )
    op.create_table(
        "escalation_recipients",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("stage_seq", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_escalation_recipients_commitment_id_commitments"),
        ),
        sa.PrimaryKeyConstraint(
            "email", "commitment_id", "stage_seq", "level", name=op.f("pk_escalation_recipients")
        ),
    )
    _fill()
    if op.get_bind().dialect.name == "postgresql":
        # The planner picks the new indexes only once it knows how few items are handled.
        op.execute("ANALYZE commitments")
        op.execute("ANALYZE escalation_recipients")


def _fill() -> None:
    """The current episodes' rungs onto their commitments, and every recipient as a row."""
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE commitments SET"
            " escalated_level = COALESCE((SELECT max(e.level) FROM escalations e"
            "  WHERE e.commitment_id = commitments.id AND e.stage_seq = commitments.stage_seq"
            "  AND e.level > 0), 0),"
            " answered = EXISTS (SELECT 1 FROM escalations e"
            "  WHERE e.commitment_id = commitments.id AND e.stage_seq = commitments.stage_seq"
            "  AND e.level > 0) AND NOT EXISTS (SELECT 1 FROM escalations e"
            "  WHERE e.commitment_id = commitments.id AND e.stage_seq = commitments.stage_seq"
            "  AND e.level > 0 AND e.acknowledged_at IS NULL)"
            " WHERE status = 'open'"
        )
    )
    recipients = sa.table(
        "escalation_recipients",
        sa.column("email"),
        sa.column("commitment_id"),
        sa.column("stage_seq"),
        sa.column("level"),
    )
    rows = bind.execute(
        sa.text(
            "SELECT commitment_id, stage_seq, level, recipients FROM escalations WHERE level > 0"
        )
    ).all()
    batch: set[tuple[str, int, int, int]] = set()
    for commitment_id, stage_seq, level, listed in rows:
        emails = json.loads(listed) if isinstance(listed, str) else listed or []
        batch |= {(email.lower(), commitment_id, stage_seq, level) for email in emails}
        if len(batch) >= BATCH:
            _insert(recipients, batch)
            batch = set()
    _insert(recipients, batch)


def _insert(table: sa.TableClause, rows: set[tuple[str, int, int, int]]) -> None:
    if rows:
        op.bulk_insert(
            table,
            [
                {"email": e, "commitment_id": c, "stage_seq": s, "level": lvl}
                for e, c, s, lvl in sorted(rows)
            ],
        )


def downgrade() -> None:
    op.drop_table("escalation_recipients")
    op.drop_index("ix_commitments_needs_order", table_name="commitments")
    for columns in (("answered", "status"), ("exempt", "status"), ("snoozed_until", "status")):
        op.drop_index(f"ix_commitments_{'_'.join(columns)}", table_name="commitments")
    with op.batch_alter_table("commitments") as batch:
        batch.drop_column("answered")
        batch.drop_column("escalated_level")
