"""search by trigrams: on PostgreSQL, words found in few commitments are found by index

Revision ID: 0020
Revises: 0019

A search matches a key, a title, an officer or a reference containing the words anywhere
(`LIKE '%words%'`), which no ordinary index can answer: words found in few commitments
were looked for in every one of them, 400 ms at 100,000 commitments. The `pg_trgm`
extension's GIN indexes answer such patterns. They exist only on PostgreSQL (SQLite, the
embedded default, holds too few commitments to need them), and only where the server
offers the extension: without it, or without the right to add it, searching still works,
by reading the table, and this migration says so instead of failing.

The indexes are not in the models (they are PostgreSQL's alone); the comparison of the
models with the database leaves out indexes named `*_trigram` (`db.migrations.in_models`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name, table, the lower-cased expression the search compares (db/listing.py `matching`)
INDEXES = (
    ("ix_commitments_key_trigram", "commitments", "lower(key)"),
    ("ix_commitments_title_trigram", "commitments", "lower(title)"),
    ("ix_commitment_refs_trigram", "commitment_refs", "lower(kind || ':' || value)"),
)

STATEMENTS = tuple(
    f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expression}) gin_trgm_ops)"
    for name, table, expression in INDEXES
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _trigrams(bind):
        return
    for statement in STATEMENTS:
        op.execute(statement)


def _trigrams(bind: sa.Connection) -> bool:
    """Whether pg_trgm is there or could be added; a refusal is logged, not raised."""
    offered = bind.scalar(
        sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")
    )
    if not offered:
        _log_without("the server does not offer the pg_trgm extension")
        return False
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as error:
        savepoint.rollback()
        _log_without(f"adding the pg_trgm extension was refused ({error.orig})")
        return False
    savepoint.commit()
    return True


def _log_without(why: str) -> None:
    logging.getLogger("alembic.runtime.migration").warning(
        "Search indexes not made: %s. Searching works without them, reading every"
        " commitment; to add them later, have a database owner run: %s",
        why,
        "; ".join(("CREATE EXTENSION pg_trgm", *STATEMENTS)),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _, _ in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
