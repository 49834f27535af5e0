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

from sqlalchemy import ColumnElement, ScalarSelect, String, and_, cast, func, or_, select, update
from sqlalchemy.orm import Session

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
from states.departments import reaches
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


def needs(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    actor: Actor,
    *,
    now: datetime,
    today: date,
    since: datetime | None,
) -> list[Need]:
    """The open items waiting on `actor` or escalated to them, the most urgent first and
    handled ones after the rest; with what others changed since `since`."""
    query = select(Commitment).where(Commitment.status == "open", _maybe_mine(catalogue, actor))
    if actor.jurisdiction != FEDERAL:
        query = query.where(in_scope(actor.jurisdiction))
    listed = [
        c for c in session.scalars(query.order_by(Commitment.key)) if reaches(actor, c.department)
    ]
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
    ordered = sorted(
        found,
        key=lambda n: (
            n.handled is not None,
            attention.urgency(n.level, n.overdue_days, n.commitment.key),
        ),
    )
    return [
        replace(
            need,
            changes=tuple(changes.get(need.commitment.id, ())),
            escalated_since=since is not None
            and any(
                r.level > 0 and r.created_at and r.created_at > since for r in need.answers.rungs
            ),
        )
        for need in ordered
    ]


def _maybe_mine(catalogue: Catalogue, actor: Actor) -> ColumnElement[bool]:
    """A first cut in SQL, so a national list is not read whole: items whose current stall
    was escalated to `actor`, or that stand where their role takes the next step."""
    email = f'"{actor.email.lower()}"'
    escalated = (
        select(Escalation.commitment_id)
        .where(
            Escalation.commitment_id == Commitment.id,
            Escalation.stage_seq == Commitment.stage_seq,
            Escalation.level > 0,
            func.lower(cast(Escalation.recipients, String)).contains(email, autoescape=True),
        )
        .exists()
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
