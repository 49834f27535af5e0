"""effective dates: when an event happened, beside when it was recorded; restating meetings

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_SQLITE_TRIGGERS = ("UPDATE", "DELETE")


def _sqlite_triggers(action: str) -> None:
    for verb in _SQLITE_TRIGGERS:
        if action == "drop":
            op.execute(f"DROP TRIGGER events_no_{verb.lower()}")
        else:
            op.execute(
                f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events"
                " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
            )


def upgrade() -> None:
    op.create_table(
        "commitment_meetings",
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_meetings_commitment_id_commitments"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_commitment_meetings_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("commitment_id", "meeting_id", name=op.f("pk_commitment_meetings")),
    )
    # Every event recorded so far took effect when it was recorded. Filling the new
    # column of rows already written is the one update the append-only log allows,
    # here, with its triggers lifted for the statement.
    column: sa.Column[object] = sa.Column(
        "effective_at", db.types.UTCDateTime(timezone=True), nullable=True
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers("drop")
        op.add_column("events", column)
        op.execute("UPDATE events SET effective_at = at")
        # SQLite adds NOT NULL by copying the table (which is why the triggers were dropped).
        with op.batch_alter_table("events", recreate="always") as batch_op:
            batch_op.alter_column("effective_at", nullable=False)
        _sqlite_triggers("create")
    else:
        op.add_column("events", column)
        op.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        op.execute("UPDATE events SET effective_at = at")
        op.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
        op.alter_column("events", "effective_at", nullable=False)


def downgrade() -> None:
    op.drop_table("commitment_meetings")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers("drop")
        with op.batch_alter_table("events", recreate="always") as batch_op:
            batch_op.drop_column("effective_at")
        _sqlite_triggers("create")
    else:
        op.drop_column("events", "effective_at")
