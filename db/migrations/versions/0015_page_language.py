"""the language of a person's pages, apart from the language of their mail

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Empty: the pages follow the language of the person's mail, as before this revision.
    # No CHECK here: adding one rebuilds the people table on SQLite, which every commitment
    # refers to; the value is checked where it is written (db/people.py).
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("page_language")
