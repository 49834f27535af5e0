"""Read-side queries: commitments, their history and their children.

Query functions take the session and never commit; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from db import listing
from db.latest import is_latest, latest_seqs
from db.models import Commitment, CommitmentRef, CommitmentTag, Event, Person
from states.errors import NotFoundError
from states.paging import Position


@dataclass(frozen=True)
class CommitmentFilter:
    """Which commitments to list; None means any."""

    pipeline: str | None = None
    jurisdiction: str | None = None
    stage: str | None = None
    status: str | None = None
    department: str | None = None
    officer_email: str | None = None
    officer_id: int | None = None  # the person's id, when the caller has it (the index's key)
    due_by: datetime | None = None
    # A reference's normalized text (states/references.py), e.g. "sdg:5.3", and a tag.
    ref: str | None = None
    tag: str | None = None
    # Words to search for in the key, title, officer's name or e-mail and references.
    words: str | None = None


# Built once: every request reads a commitment by key, and building the statement each time
# cost about as much as running it.
_BY_KEY = select(Commitment).where(Commitment.key == bindparam("key"))
_BY_KEY_LOCKED = _BY_KEY.with_for_update(of=Commitment)
_EVENTS = Event.__table__
_LAST_SEQ = select(func.max(_EVENTS.c.seq)).where(_EVENTS.c.commitment_id == bindparam("id"))


def get_commitment(session: Session, key: str, *, lock: bool = False) -> Commitment:
    """The commitment called `key`; `lock` takes a row lock where the database has them."""
    commitment = session.scalar(_BY_KEY_LOCKED if lock else _BY_KEY, {"key": key.upper()})
    if commitment is None:
        raise NotFoundError(f"no commitment {key!r}; list them with: taskforce list")
    return commitment


def list_commitments(session: Session, where: CommitmentFilter) -> list[Commitment]:
    """Commitments matching `where`, ordered by key."""
    return list(session.scalars(_filtered(session, _with_labels(), where).order_by(Commitment.key)))


def count_commitments(
    session: Session, where: CommitmentFilter, *, at_most: int | None = None
) -> int:
    """How many commitments match `where`; counting stops at `at_most` when given."""
    if at_most is None:
        return session.scalar(_filtered(session, select(func.count(Commitment.id)), where)) or 0
    found = _filtered(session, select(Commitment.id), where).limit(at_most).subquery()
    return session.scalar(select(func.count()).select_from(found)) or 0


def page_by_key(
    session: Session, where: CommitmentFilter, *, after: Position | None, limit: int
) -> listing.Page[Commitment]:
    """The page of commitments matching `where` after `after`, ordered by key."""
    return listing.by_key(
        session, _filtered(session, _with_labels(), where), after=after, limit=limit
    )


def page_by_urgency(
    session: Session,
    where: CommitmentFilter,
    *,
    after: Position | None,
    limit: int,
    before: Position | None = None,
) -> listing.Page[Commitment]:
    """The page of commitments matching `where` after `after` (or before `before`), most
    urgent first."""
    query = _filtered(session, _with_labels().options(selectinload(Commitment.officer)), where)
    return listing.by_urgency(session, query, after=after, before=before, limit=limit)


def _with_labels() -> Select[Any]:
    """Commitments with their references and tags, read for the whole list in two queries."""
    return select(Commitment).options(selectinload(Commitment.refs), selectinload(Commitment.tags))


def _filtered(session: Session, query: Select[Any], where: CommitmentFilter) -> Select[Any]:
    if where.pipeline:
        query = query.where(Commitment.pipeline_key == where.pipeline)
    if where.jurisdiction:
        query = query.where(
            or_(
                Commitment.jurisdiction == where.jurisdiction,
                Commitment.jurisdiction.startswith(where.jurisdiction + "/", autoescape=True),
            )
        )
    if where.stage:
        query = query.where(Commitment.stage == where.stage)
    if where.status:
        query = query.where(Commitment.status == where.status)
    if where.department:
        query = query.where(Commitment.department == where.department)
    if where.due_by is not None:
        query = query.where(Commitment.status == "open", Commitment.due_at <= where.due_by)
    if where.ref:
        kind, _, value = where.ref.partition(":")
        query = query.where(
            Commitment.id.in_(
                select(CommitmentRef.commitment_id).where(
                    CommitmentRef.kind == kind, CommitmentRef.value == value
                )
            )
        )
    if where.tag:
        query = query.where(
            Commitment.id.in_(
                select(CommitmentTag.commitment_id).where(CommitmentTag.tag == where.tag)
            )
        )
    if where.officer_email:
        query = query.where(
            Commitment.officer_id.in_(
                select(Person.id).where(func.lower(Person.email) == where.officer_email.lower())
            )
        )
    if where.officer_id is not None:
        query = query.where(Commitment.officer_id == where.officer_id)
    if where.words:
        query = query.where(listing.matching(session, where.words))
    return query


def due_commitments(session: Session, now: datetime) -> list[Commitment]:
    """Open commitments already past their due time, longest overdue first.

    Served by the (status, due_at) index: the cost follows how many are due, not
    how many commitments there are.
    """
    return list(
        session.scalars(
            select(Commitment)
            .where(Commitment.status == "open", Commitment.due_at <= now)
            .order_by(Commitment.due_at, Commitment.key)
        )
    )


def history(session: Session, commitment: Commitment) -> Sequence[Event]:
    """Every event of `commitment`, oldest first."""
    return session.scalars(
        select(Event).where(Event.commitment_id == commitment.id).order_by(Event.seq)
    ).all()


def children(session: Session, commitment: Commitment) -> Sequence[Commitment]:
    return session.scalars(
        select(Commitment).where(Commitment.parent_id == commitment.id).order_by(Commitment.key)
    ).all()


def parent_key(session: Session, commitment: Commitment) -> str | None:
    if commitment.parent_id is None:
        return None
    return session.scalar(select(Commitment.key).where(Commitment.id == commitment.parent_id))


def children_count(session: Session, parent_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Commitment).where(Commitment.parent_id == parent_id)
        )
        or 0
    )


def parents_with_every_child_ended(session: Session, pipelines: Sequence[str]) -> list[int]:
    """Open parents on a roll-up pipeline that have children, none of them open."""
    if not pipelines:
        return []
    child = aliased(Commitment)
    open_child = aliased(Commitment)
    return list(
        session.scalars(
            select(Commitment.id).where(
                Commitment.status == "open",
                Commitment.pipeline_key.in_(pipelines),
                select(child.id).where(child.parent_id == Commitment.id).exists(),
                ~select(open_child.id)
                .where(open_child.parent_id == Commitment.id, open_child.status == "open")
                .exists(),
            )
        )
    )


def open_past_deadline(session: Session, pipelines: Sequence[str], *, today: date) -> list[int]:
    """Open commitments on a pipeline that acts at its deadline, whose deadline has passed."""
    if not pipelines:
        return []
    return list(
        session.scalars(
            select(Commitment.id).where(
                Commitment.status == "open",
                Commitment.pipeline_key.in_(pipelines),
                Commitment.deadline < today,
                Commitment.paused_at.is_(None),  # a paused item's deadline stands still
            )
        )
    )


def open_children_count(session: Session, parent_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Commitment)
            .where(Commitment.parent_id == parent_id, Commitment.status == "open")
        )
        or 0
    )


def open_children_keys(session: Session, parent_id: int) -> list[str]:
    """The keys of a commitment's children that are still open, in order."""
    return list(
        session.scalars(
            select(Commitment.key)
            .where(Commitment.parent_id == parent_id, Commitment.status == "open")
            .order_by(Commitment.key)
        )
    )


def next_event_seq(session: Session, commitment_id: int) -> int:
    current = session.scalar(_LAST_SEQ, {"id": commitment_id})
    return (current or 0) + 1


def inconsistent_keys(session: Session) -> list[str]:
    """Commitments whose stage differs from the stage their latest event moved them to.

    Always empty when every change went through the workflow; operators can run it
    as a check after restoring a backup or editing the database by hand.
    """
    latest = aliased(Event)
    last_seq = latest_seqs()
    rows = session.execute(
        select(Commitment.key)
        .outerjoin(last_seq, last_seq.c.commitment_id == Commitment.id)
        .outerjoin(latest, is_latest(last_seq, latest))
        .where(or_(latest.id.is_(None), latest.to_stage != Commitment.stage))
        .order_by(Commitment.key)
    )
    return [key for (key,) in rows]
