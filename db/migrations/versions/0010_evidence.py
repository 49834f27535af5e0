"""evidence: files attached to events, stored once by their SHA-256

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APPEND_ONLY = ("evidence", "event_evidence")


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_evidence")),
    )
    op.create_table(
        "event_evidence",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_evidence_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["sha256"], ["evidence.sha256"], name=op.f("fk_event_evidence_sha256_evidence")
        ),
        sa.PrimaryKeyConstraint("event_id", "position", name=op.f("pk_event_evidence")),
    )
    with op.batch_alter_table("event_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_evidence_sha256"), ["sha256"], unique=False)
    _make_append_only()


def _make_append_only() -> None:
    """Evidence is part of the history: the database refuses to edit or delete it."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute(
            "CREATE FUNCTION evidence_append_only() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'evidence is append-only'; END $$"
        )
    for table in _APPEND_ONLY:
        if sqlite:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}"
                    " BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END"
                )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION evidence_append_only()"
            )


def downgrade() -> None:
    with op.batch_alter_table("event_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_evidence_sha256"))
    op.drop_table("event_evidence")
    op.drop_table("evidence")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS evidence_append_only()")
