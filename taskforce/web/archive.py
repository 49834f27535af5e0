"""The digests a viewer may read: the archive, one digest, the latest for their scope.

A digest's scope is `federal` (the chair's) or a province (its chief secretary's);
an overseer reads the digests of every scope their jurisdiction covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.digest import DigestContent, content_of, last_digest
from db.models import Digest
from states.access import Access, allows
from states.actors import FEDERAL, PROVINCES, province_of
from states.errors import NotFoundError
from taskforce.web.guard import check
from taskforce.web.viewer import Viewer

PAGE_SIZE = 50


@dataclass(frozen=True)
class Entry:
    """One digest in the archive, with its numbers."""

    digest: Digest
    content: DigestContent


@dataclass(frozen=True)
class Archive:
    """One page of the archive, newest first."""

    entries: tuple[Entry, ...]
    page: int
    pages: int
    scopes: tuple[str, ...]


def readable_scopes(viewer: Viewer) -> tuple[str, ...]:
    """The digest scopes `viewer` may read (none for a district's people)."""
    return tuple(
        scope
        for scope in (FEDERAL, *PROVINCES)
        if allows(Access.DIGEST, viewer.actor, jurisdiction=scope)
    )


def own_scope(viewer: Viewer) -> str:
    """The scope of the digest written for people of the viewer's jurisdiction."""
    return FEDERAL if viewer.jurisdiction == FEDERAL else province_of(viewer.jurisdiction)


def archive(session: Session, viewer: Viewer, *, page: int = 1) -> Archive:
    """The digests `viewer` may read, newest first, `PAGE_SIZE` a page."""
    scopes = readable_scopes(viewer)
    where = Digest.scope.in_(scopes)
    total = session.scalar(select(func.count()).select_from(Digest).where(where)) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    rows = session.scalars(
        select(Digest)
        .where(where)
        .order_by(Digest.created_at.desc(), Digest.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    entries = tuple(Entry(digest, content_of(digest)) for digest in rows)
    return Archive(entries=entries, page=page, pages=pages, scopes=scopes)


def latest(session: Session, viewer: Viewer, *, now: datetime) -> Entry | None:
    """The latest digest of the viewer's own scope made by `now`, if they may read it."""
    scope = own_scope(viewer)
    if not allows(Access.DIGEST, viewer.actor, jurisdiction=scope):
        return None
    found = last_digest(
        session, scope=scope, recipient_email=None, before=now + timedelta(microseconds=1)
    )
    return Entry(found, content_of(found)) if found is not None else None


@dataclass(frozen=True)
class Reading:
    """One digest, with the digests of the same scope and reader before and after it."""

    entry: Entry
    previous_id: int | None
    next_id: int | None


def reading(session: Session, viewer: Viewer, digest_id: int) -> Reading:
    """The digest `digest_id` if `viewer` may read it (else 403; unknown: 404)."""
    digest = session.get(Digest, digest_id)
    if digest is None:
        raise NotFoundError(f"there is no digest {digest_id}; the archive at /digests lists them")
    check(Access.DIGEST, viewer, jurisdiction=digest.scope, what=f"digest {digest_id}")
    same = (Digest.scope == digest.scope, Digest.recipient_email == digest.recipient_email)
    before = session.scalar(
        select(Digest.id)
        .where(*same, Digest.created_at < digest.created_at)
        .order_by(Digest.created_at.desc(), Digest.id.desc())
        .limit(1)
    )
    after = session.scalar(
        select(Digest.id)
        .where(*same, Digest.created_at > digest.created_at)
        .order_by(Digest.created_at, Digest.id)
        .limit(1)
    )
    return Reading(Entry(digest, content_of(digest)), before, after)
