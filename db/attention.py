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
    String,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from db import waiting
from db.digest import in_scope
from db.models import Commitment, Escalation, Event, Person
from db.workflow import state_of
from states import attention, stalls
from states.actors import FEDERAL, Actor
from states.attention import Handled, Rung
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.definition import Pipeline
from states.departments import DEPARTMENT_BOUND, department_key, reaches
from states.paging import DUE, PAGE_SIZE, Position, needs_position
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
    """How many in all still wait for an answer (on every page, not only this one)."""
    handled: int = 0
    """How many in all someone has already handled."""


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
    rungs = _rungs_in_stall()
    in_stall = and_(
        rungs.c.commitment_id == Commitment.id, rungs.c.stage_seq == Commitment.stage_seq
    )
    handled = _handled_rank(rungs, today)
    level = func.coalesce(rungs.c.level, 0)
    wanted = _candidates(catalogue, actor)
    query = (
        select(
            Commitment.id,
            Commitment.key,
            Commitment.due_at,
            handled.label("handled_rank"),
            level.label("level_rank"),
        )
        .outerjoin(rungs, in_stall)
        .where(*wanted)
    )
    if after is not None:
        query = query.where(_after(after, handled, level))
    # The order is decided on narrow rows; only the page's own are read whole.
    page = query.order_by(*_order(handled, level, Commitment.due_at, Commitment.key))
    ranked = page.limit(limit + 1).subquery("ranked")
    rows = session.execute(
        select(Commitment, ranked.c.handled_rank, ranked.c.level_rank)
        .join(ranked, ranked.c.id == Commitment.id)
        .order_by(
            *_order(ranked.c.handled_rank, ranked.c.level_rank, ranked.c.due_at, ranked.c.key)
        )
    ).all()
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        following = needs_position(
            key=last[0].key,
            handled=bool(last.handled_rank),
            level=last.level_rank,
            due_at=last[0].due_at,
        )
    listed = [row[0] for row in rows if reaches(actor, row[0].department)]
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
    counted = dict(
        session.execute(
            select(handled, func.count())
            .select_from(Commitment)
            .outerjoin(rungs, in_stall)
            .where(*wanted)
            .group_by(handled)
        ).all()
    )
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
        waiting=int(counted.get(0, 0)),
        handled=int(counted.get(1, 0)),
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


def _rungs_in_stall() -> Subquery:
    """Per stall episode (commitment, stage_seq): the highest rung escalated, how many rungs
    and how many of them acknowledged; read in one pass, joined to a page's candidates."""
    return (
        select(
            Escalation.commitment_id,
            Escalation.stage_seq,
            func.max(Escalation.level).label("level"),
            func.count().label("rungs"),
            func.count(Escalation.acknowledged_at).label("acknowledged"),
        )
        .where(Escalation.level > 0)
        .group_by(Escalation.commitment_id, Escalation.stage_seq)
        .subquery("rungs_in_stall")
    )


def _handled_rank(rungs: Subquery, today: date) -> ColumnElement[int]:
    """1 for an item whose stall is answered (`states.attention.handled` in SQL), else 0:
    exempt, snoozed through today or later, or every rung escalated acknowledged."""
    return case(
        (
            or_(
                Commitment.exempt == true(),
                Commitment.snoozed_until >= today,
                and_(rungs.c.rungs > 0, rungs.c.acknowledged == rungs.c.rungs),
            ),
            1,
        ),
        else_=0,
    )


def _order(
    handled: ColumnElement[Any], level: ColumnElement[Any], due_at: Any, key: Any
) -> tuple[ColumnElement[Any], ...]:
    """The order of "Needs you" in SQL: unhandled first, the highest rung, then those with
    a due time by it (the longest overdue first), then the key."""
    return (handled, level.desc(), case((due_at.is_(None), 1), else_=0), due_at, key)


def _after(
    after: Position, handled: ColumnElement[int], level: ColumnElement[Any]
) -> ColumnElement[bool]:
    """Rows strictly after `after` in the order of "Needs you" (see `needs`)."""
    if after.band == DUE and after.due_at is not None:
        later = or_(
            Commitment.due_at.is_(None),
            Commitment.due_at > after.due_at,
            and_(Commitment.due_at == after.due_at, Commitment.key > after.key),
        )
    else:
        later = and_(Commitment.due_at.is_(None), Commitment.key > after.key)
    rank = int(after.handled)
    return or_(
        handled > rank,
        and_(handled == rank, or_(level < after.level, and_(level == after.level, later))),
    )


def _maybe_mine(catalogue: Catalogue, actor: Actor) -> ColumnElement[bool]:
    """A first cut in SQL, so a national list is not read whole: items whose current stall
    was escalated to `actor`, or that stand where their role takes the next step."""
    email = f'"{actor.email.lower()}"'
    # Read once (not once per open commitment): the stall episodes mailed to `actor`.
    escalated = tuple_(Commitment.id, Commitment.stage_seq).in_(
        select(Escalation.commitment_id, Escalation.stage_seq).where(
            Escalation.level > 0,
            func.lower(cast(Escalation.recipients, String)).contains(email, autoescape=True),
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


def visit(session: Session, person_id: int, *, now: datetime) -> datetime | None:
    """Record that the person opened "Needs you" now; when they last did before (None: never)."""
    before = session.scalar(select(Person.attention_seen_at).where(Person.id == person_id))
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


def reached_level() -> ScalarSelect[Any]:
    """The rung a commitment's current stall was actually escalated to, as a correlated SQL
    expression (NULL when nothing was): for lists that count levels in one grouped query."""
    return (
        select(func.max(Escalation.level))
        .where(
            Escalation.commitment_id == Commitment.id,
            Escalation.stage_seq == Commitment.stage_seq,
            Escalation.level > 0,
        )
        .scalar_subquery()
    )
