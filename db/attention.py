"""What needs a person: the rungs each item's stall actually reached, how it was answered,
"Needs you" in the order of `states.attention`, and when each person last looked.

Reads in a few set-based queries for a whole page; the rules themselves are pure
(`states.attention`). The caller owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    and_,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from db import waiting
from db.digest import in_scope
from db.models import Commitment, Escalation, EscalationRecipient, Event, Person
from db.workflow import state_of
from states import attention, stalls
from states.actors import FEDERAL, Actor
from states.attention import Handled, Rung
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.definition import Pipeline
from states.departments import DEPARTMENT_BOUND, department_key, reaches
from states.paging import COUNT_LIMIT, DUE, PAGE_SIZE, Position, needs_position
from states.waiting import Holder, stages_for


@dataclass(frozen=True)
class Answers:
    """What the database recorded of one commitment's current stall episode."""

    level: int | None
    """The highest rung escalated; None when nothing was escalated."""
    handled: Handled | None
    handled_by: str | None = None
    """The name of whoever acknowledged (their email when they are not a person here)."""
    rungs: tuple[Rung, ...] = ()


def rungs_of(session: Session, commitment_ids: Collection[int]) -> dict[int, list[Rung]]:
    """Each commitment's escalations (reminders too) in its current stall episode."""
    found: dict[int, list[Rung]] = defaultdict(list)
    if not commitment_ids:
        return found
    rows = session.execute(
        select(
            Escalation.commitment_id,
            Escalation.level,
            Escalation.recipients,
            Escalation.acknowledged_at,
            Escalation.acknowledged_by,
            Escalation.created_at,
        )
        .join(
            Commitment,
            and_(
                Commitment.id == Escalation.commitment_id,
                Commitment.stage_seq == Escalation.stage_seq,
            ),
        )
        .where(Escalation.commitment_id.in_(list(commitment_ids)))
        .order_by(Escalation.commitment_id, Escalation.level)
    )
    for commitment_id, level, recipients, acknowledged_at, acknowledged_by, created_at in rows:
        found[commitment_id].append(
            Rung(
                level=level,
                recipients=tuple(recipients or ()),
                acknowledged_at=acknowledged_at,
                acknowledged_by=acknowledged_by,
                created_at=created_at,
            )
        )
    return found


@dataclass(frozen=True)
class Answered:
    """The fields of a commitment the answers depend on (a board row has them, or a model)."""

    id: int
    exempt: bool
    snoozed_until: date | None
    status: str


def answers_of(
    session: Session, commitments: Sequence[Answered | Commitment], *, today: date
) -> dict[int, Answers]:
    """For each open commitment: the rung actually reached and whether it is handled."""
    open_ones = [c for c in commitments if c.status == "open"]
    rungs = rungs_of(session, [c.id for c in open_ones])
    names = _names(
        session,
        {
            rung.acknowledged_by
            for found in rungs.values()
            for rung in found
            if rung.acknowledged_by
        },
    )
    result = {}
    for commitment in open_ones:
        mine = tuple(rungs.get(commitment.id, ()))
        answer = attention.handled(
            exempt=commitment.exempt,
            snoozed_until=commitment.snoozed_until,
            rungs=mine,
            today=today,
        )
        by = answer.by if answer is not None else None
        result[commitment.id] = Answers(
            level=attention.level_reached(rung.level for rung in mine),
            handled=answer,
            handled_by=names.get(by.lower(), by) if by else None,
            rungs=mine,
        )
    return result


def _names(session: Session, emails: Collection[str]) -> dict[str, str]:
    if not emails:
        return {}
    rows = session.execute(
        select(Person.email, Person.name).where(
            func.lower(Person.email).in_([email.lower() for email in emails])
        )
    )
    return {email.lower(): name for email, name in rows}


@dataclass(frozen=True)
class Need:
    """One line of "Needs you"."""

    commitment: Commitment
    pipeline: Pipeline
    overdue_days: int | None
    answers: Answers
    escalated_to_me: bool
    waiting_on: tuple[Holder, ...]
    must_act: Holder | None
    snooze_max_days: int
    changes: tuple[Event, ...] = field(default_factory=tuple)
    """What others did to it since the viewer last looked, oldest first."""
    escalated_since: bool = False
    """Whether a rung was escalated since the viewer last looked."""

    @property
    def level(self) -> int | None:
        return self.answers.level

    @property
    def handled(self) -> Handled | None:
        return self.answers.handled


@dataclass(frozen=True)
class Needs:
    """One page of "Needs you", where the next begins, and how many there are in all."""

    needs: list[Need]
    next: Position | None
    waiting: int = 0
    """How many in all still wait for an answer (on every page, not only this one);
    counted up to one past `COUNT_LIMIT`, which reads "more than" it."""
    handled: int = 0
    """How many in all someone has already handled, counted the same way."""
    count_limit: int = COUNT_LIMIT
    """Where counting stopped: a count above it reads "more than" it."""


def needs(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    actor: Actor,
    *,
    now: datetime,
    today: date,
    since: datetime | None,
    after: Position | None = None,
    limit: int = PAGE_SIZE,
) -> Needs:
    """A page of the open items waiting on `actor` or escalated to them, after `after`:
    those still unanswered first, then the highest rung escalated, then the longest overdue
    (the earliest due), then the key; with what others changed since `since`.

    The order, the cursor and the limit are SQL, so a page is one bounded query however
    many items are in scope. The rule of who is waited on is applied to the page's rows
    afterwards; the SQL cut keeps only rows it may accept, so a page is short only in the
    rare case it refuses one (the next page still starts after every row read).
    """
    wanted = _candidates(catalogue, actor)
    handled = _handled(today)
    # Those waiting for an answer, then those handled: each band walks the index in order
    # and stops at the page's end, and one statement reads both.
    bands = []
    for band in (False, True):
        if after is not None and band < after.handled:
            continue
        query = select(Commitment.id, literal(band).label("band"), *_SORTED).where(
            *wanted, handled if band else ~handled
        )
        if after is not None and band == after.handled:
            query = query.where(_after(after))
        bands.append(select(query.order_by(*_ORDER).limit(limit + 1).subquery()))
    both = union_all(*bands).subquery()
    page = session.execute(
        select(both.c.id, both.c.band)
        .order_by(both.c.band, *_order(both.c.escalated_level, both.c.due_at, both.c.key))
        .limit(limit + 1)
    ).all()
    rows = _whole(session, [row.id for row in page])
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        following = needs_position(
            key=last.key,
            handled=bool(page[limit - 1].band),
            level=last.escalated_level,
            due_at=last.due_at,
        )
    listed = [row for row in rows if reaches(actor, row.department)]
    answers = answers_of(session, listed, today=today)
    people = waiting.holders(session)
    email = actor.email.lower()
    found: list[Need] = []
    for commitment in listed:
        answer = answers[commitment.id]
        holders = waiting.waiting_on(catalogue, commitment, people)
        to_me = attention.escalated_to(answer.rungs, email)
        if not to_me and email not in {holder.email.lower() for holder in holders}:
            continue
        pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
        stall = stalls.assess(
            pipeline, state_of(commitment), deadline=commitment.deadline, now=now, calendar=calendar
        )
        officer = commitment.officer.email if commitment.officer is not None else None
        found.append(
            Need(
                commitment=commitment,
                pipeline=pipeline,
                overdue_days=stall.overdue_days if stall is not None else None,
                answers=answer,
                escalated_to_me=to_me,
                waiting_on=holders,
                must_act=attention.must_act(holders, officer),
                snooze_max_days=pipeline.snooze_max_days,
            )
        )
    changes = _changes(session, [need.commitment.id for need in found], since, email)
    limit_of_counts = COUNT_LIMIT
    counts = session.execute(
        select(
            _count_up_to(limit_of_counts, *wanted, ~handled),
            _count_up_to(limit_of_counts, *wanted, handled),
        )
    ).one()
    return Needs(
        needs=[
            replace(
                need,
                changes=tuple(changes.get(need.commitment.id, ())),
                escalated_since=since is not None
                and any(
                    r.level > 0 and r.created_at and r.created_at > since
                    for r in need.answers.rungs
                ),
            )
            for need in found
        ],
        next=following,
        waiting=int(counts[0]),
        handled=int(counts[1]),
        count_limit=limit_of_counts,
    )


def _candidates(catalogue: Catalogue, actor: Actor) -> list[ColumnElement[bool]]:
    """The SQL cut of "Needs you": open, in the actor's reach, perhaps theirs."""
    wanted = [Commitment.status == "open", _maybe_mine(catalogue, actor)]
    if actor.jurisdiction != FEDERAL:
        wanted.append(in_scope(actor.jurisdiction))
    if actor.role in DEPARTMENT_BOUND:
        wanted.append(_maybe_department(actor.department))
    return wanted


def _maybe_department(department: str) -> ColumnElement[bool]:
    """Items `reaches` may accept for someone of `department`: those of no department, and
    those whose name holds the words of it in order (a superset: 'Women-Development' and
    'women development' alike; the rule decides each row after)."""
    parts = [_escaped(part) for part in department_key(department).split("_") if part]
    pattern = "%" + "%".join(parts) + "%"
    return or_(
        func.trim(Commitment.department) == "",
        func.lower(Commitment.department).like(pattern, escape="\\"),
    )


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _handled(today: date) -> ColumnElement[bool]:
    """Whether an item's stall is answered (`states.attention.handled` in SQL): exempt,
    snoozed through today or later, or every rung escalated acknowledged."""
    return or_(
        Commitment.exempt == true(),
        # Never NULL, so the band of the rest is its plain negation.
        and_(Commitment.snoozed_until.is_not(None), Commitment.snoozed_until >= today),
        Commitment.answered == true(),
    )


_SORTED = (Commitment.escalated_level, Commitment.due_at, Commitment.key)


def _order(level: Any, due_at: Any, key: Any) -> tuple[Any, ...]:
    """The order of "Needs you" within a band (ix_commitments_needs_order): the highest rung,
    then those with a due time by it (the longest overdue first), then the key."""
    return (level.desc(), due_at.asc().nulls_last(), key)


_ORDER = _order(*_SORTED)


def _count_up_to(limit: int, *where: ColumnElement[bool]) -> ScalarSelect[int]:
    """How many commitments match `where`, counted no further than one past `limit`."""
    limited = select(Commitment.id).where(*where).limit(limit + 1).subquery()
    return select(func.count()).select_from(limited).scalar_subquery()


def _whole(session: Session, ids: Sequence[int]) -> list[Commitment]:
    """The commitments `ids`, read whole, in the order given."""
    if not ids:
        return []
    found = {c.id: c for c in session.scalars(select(Commitment).where(Commitment.id.in_(ids)))}
    return [found[i] for i in ids]


def _after(after: Position) -> ColumnElement[bool]:
    """Rows strictly after `after` in the order of "Needs you", within its band (see `needs`)."""
    if after.band == DUE and after.due_at is not None:
        later = or_(
            Commitment.due_at.is_(None),
            Commitment.due_at > after.due_at,
            and_(Commitment.due_at == after.due_at, Commitment.key > after.key),
        )
    else:
        later = and_(Commitment.due_at.is_(None), Commitment.key > after.key)
    level = Commitment.escalated_level
    return or_(level < after.level, and_(level == after.level, later))


def _maybe_mine(catalogue: Catalogue, actor: Actor) -> ColumnElement[bool]:
    """A first cut in SQL, so a national list is not read whole: items whose current stall
    was escalated to `actor`, or that stand where their role takes the next step."""
    # Read once (not once per open commitment): the stall episodes mailed to `actor`.
    escalated = tuple_(Commitment.id, Commitment.stage_seq).in_(
        select(EscalationRecipient.commitment_id, EscalationRecipient.stage_seq).where(
            EscalationRecipient.email == actor.email.lower()
        )
    )
    places = [
        and_(
            Commitment.pipeline_key == key,
            Commitment.pipeline_version == version,
            Commitment.stage == stage,
        )
        for key, version, stage in sorted(stages_for(catalogue.all(), actor.role))
    ]
    return or_(escalated, *places)


def _changes(
    session: Session, commitment_ids: Sequence[int], since: datetime | None, email: str
) -> dict[int, list[Event]]:
    found: dict[int, list[Event]] = defaultdict(list)
    if since is None or not commitment_ids:
        return found
    for event in session.scalars(
        select(Event)
        .where(
            Event.commitment_id.in_(list(commitment_ids)),
            Event.at > since,
            func.lower(Event.actor_email) != email,
        )
        .order_by(Event.commitment_id, Event.seq)
    ):
        found[event.commitment_id].append(event)
    return found


def last_visit(session: Session, person_id: int) -> datetime | None:
    """When the person last opened "Needs you" (None: never)."""
    return session.scalar(select(Person.attention_seen_at).where(Person.id == person_id))


def visit(session: Session, person_id: int, *, now: datetime) -> datetime | None:
    """Record that the person opened "Needs you" now; when they last did before (None: never)."""
    before = last_visit(session, person_id)
    session.execute(update(Person).where(Person.id == person_id).values(attention_seen_at=now))
    return before


def answers_by_key(session: Session, keys: Collection[str], *, today: date) -> dict[str, Answers]:
    """`answers_of` for the open commitments among `keys` (a board's cards), by key."""
    if not keys:
        return {}
    rows = session.execute(
        select(
            Commitment.id,
            Commitment.key,
            Commitment.exempt,
            Commitment.snoozed_until,
            Commitment.status,
        ).where(Commitment.key.in_(list(keys)), Commitment.status == "open")
    ).all()
    found = answers_of(
        session,
        [
            Answered(id=r.id, exempt=r.exempt, snoozed_until=r.snoozed_until, status=r.status)
            for r in rows
        ],
        today=today,
    )
    return {r.key: found[r.id] for r in rows}


def reached_level() -> ColumnElement[int | None]:
    """The rung a commitment's current stall was actually escalated to, as an SQL expression
    on its row (NULL when nothing was): for lists that count levels in one grouped query."""
    return func.nullif(Commitment.escalated_level, 0)
