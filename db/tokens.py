"""API tokens: made at random, shown once, kept only as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from db import people
from db.models import ApiToken, Person
from states.errors import NotFoundError

PREFIX = "tf_"
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: no dictionary to guess from.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, email: str, name: str, now: datetime) -> str:
    """A new token for the active person `email`; the plain token is returned once only."""
    person = people.by_email(session, email)
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(person_id=person.id, name=name, token_hash=_digest(token), created_at=now))
    session.flush()
    return token


def live_token(session: Session, token: str) -> ApiToken | None:
    """The live token row for `token`, with an active person, or None. Only reads."""
    row = session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.person))
        .where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.person.active:
        return None
    return row


def needs_touch(row: ApiToken, now: datetime) -> bool:
    """Whether to record a use: at most once a minute, so busy clients rarely write."""
    return row.last_used_at is None or (now - row.last_used_at) > TOUCH_EVERY


def touch(session: Session, token_id: int, *, now: datetime) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def person_for(session: Session, token: str, *, now: datetime) -> Person | None:
    """The active person a live token belongs to, or None; records the use."""
    row = live_token(session, token)
    if row is None:
        return None
    if needs_touch(row, now):
        touch(session, row.id, now=now)
    return row.person


def tokens_of(session: Session, email: str) -> Sequence[ApiToken]:
    person = people.by_email(session, email)
    return session.scalars(
        select(ApiToken).where(ApiToken.person_id == person.id).order_by(ApiToken.id)
    ).all()


def revoke(session: Session, token_id: int, *, now: datetime) -> ApiToken:
    """Stop token `token_id` working; revoking twice is harmless."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"no API token {token_id}; list them with: taskforce tokens list EMAIL")
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return row


def revoke_all(session: Session, person: Person, *, now: datetime) -> int:
    """Revoke every live token of `person`; returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.person_id == person.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
