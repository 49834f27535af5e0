"""Secrets the installation makes for itself on first use, stored so every worker shares them."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import InstanceSecret

SESSION_KEY = "session_signing_key"


def secret(session: Session, name: str, *, now: datetime) -> str:
    """The secret called `name`, made at random the first time it is asked for.

    Two workers starting at once both try to insert; the first wins and both read it.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(InstanceSecret)
        .values(name=name, value=secrets.token_urlsafe(48), created_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    value = session.scalar(select(InstanceSecret.value).where(InstanceSecret.name == name))
    assert value is not None
    return value
