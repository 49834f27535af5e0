"""API tokens: made at random, shown once, kept only as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db import people
from db.models import ApiToken, Person
from states.errors import NotFoundError

PREFIX = "tf_"


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: no dictionary to guess from.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, email: str, name: str, now: datetime) -> str:
    """A new token for the active person `email`; the plain token is returned once only."""
    person = people.by_email(session, email)
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(person_id=person.id, name=name, token_hash=_digest(token), created_at=now)
    )
    session.flush()
    return token


def person_for(session: Session, token: str, *, now: datetime) -> Person | None:
    """The active person a live token belongs to, or None (unknown, revoked or inactive)."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.person.active:
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        # Written at most once a minute, so a busy client does not turn reads into writes.
        row.last_used_at = now
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
        raise NotFoundError(
            f"no API token {token_id}; list them with: taskforce tokens list EMAIL"
        )
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
