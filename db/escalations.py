"""Answering escalations (acknowledge, snooze, exempt) and reading them back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db import people, queries, rungs, waiting, workflow
from db.models import Commitment, Escalation, Nudge, OutboxMessage, Person
from states import attention
from states import escalation as rules
from states.actors import Actor
from states.catalogue import Catalogue
from states.effective import DEFAULT_MAX_DAYS_BACK, DatingLimits
from states.errors import NotFoundError
from states.message import Message


def acknowledge(
    session: Session,
    *,
    key: str,
    actor_email: str,
    reason: str,
    now: datetime,
    effective_at: datetime | None = None,
    max_days_back: int = DEFAULT_MAX_DAYS_BACK,
) -> int:
    """Record that someone above the item knows of its stall; returns how many rungs it covers.

    `effective_at` dates the acknowledgement when it was given, if earlier (the rule of
    `states.effective`); the escalations are marked acknowledged as of `now`.
    """
    commitment = queries.get_commitment(session, key)
    actor = people.actor_for(people.by_email(session, actor_email))
    event = rules.acknowledge(
        workflow.state_of(commitment),
        actor,
        reason=reason,
        now=now,
        effective_at=effective_at,
        dating=_dating(session, commitment, effective_at, max_days_back),
    )
    current = (
        Escalation.commitment_id == commitment.id,
        Escalation.stage_seq == commitment.stage_seq,
        Escalation.level > 0,
        Escalation.acknowledged_at.is_(None),
    )
    pending = session.scalars(select(Escalation.id).where(*current)).all()
    if not pending:
        raise NotFoundError(
            Message(
                "nothing to acknowledge: {key} has no unacknowledged escalation"
                " in its current stage ({stage})",
                key=commitment.key,
                stage=commitment.stage,
            )
        )
    with workflow.refusals(commitment.key):
        session.execute(
            update(Escalation)
            .where(*current)
            .values(acknowledged_at=now, acknowledged_by=actor.email)
        )
        rungs.refresh(session, [commitment.id])
        seq = queries.next_event_seq(session, commitment.id)
        workflow.append_event(session, commitment, event, seq=seq)
        _tell_answer(
            session,
            commitment,
            actor,
            kind="acknowledged",
            subject=f"{commitment.key}: the delay was acknowledged by {actor.name or actor.email}",
            payload={
                "reason": event.comment,
                "until": None,
                "seq": seq,
                "escalations": len(pending),
            },
            now=now,
        )
    return len(pending)


def snooze(
    session: Session,
    catalogue: Catalogue,
    *,
    key: str,
    actor_email: str,
    until: date,
    reason: str,
    now: datetime,
    today: date,
    effective_at: datetime | None = None,
    max_days_back: int = DEFAULT_MAX_DAYS_BACK,
) -> Commitment:
    """Hold the item's escalations until `until` (inclusive); moving it to a new stage ends this."""
    commitment = queries.get_commitment(session, key)
    actor = people.actor_for(people.by_email(session, actor_email))
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    event = rules.snooze(
        pipeline,
        workflow.state_of(commitment),
        actor,
        until=until,
        reason=reason,
        now=now,
        today=today,
        effective_at=effective_at,
        dating=_dating(session, commitment, effective_at, max_days_back),
    )
    with workflow.refusals(commitment.key):
        commitment.snoozed_until = until
        session.flush()
        seq = queries.next_event_seq(session, commitment.id)
        workflow.append_event(session, commitment, event, seq=seq)
        _tell_answer(
            session,
            commitment,
            actor,
            kind="snoozed",
            subject=f"{commitment.key}: escalations held through {until:%-d %B %Y}"
            f" by {actor.name or actor.email}",
            payload={"reason": event.comment, "until": until.isoformat(), "seq": seq},
            now=now,
        )
    return commitment


def _dating(
    session: Session, commitment: Commitment, effective_at: datetime | None, max_days_back: int
) -> DatingLimits | None:
    """What a dated answer is checked against: read only when the answer is dated."""
    if effective_at is None:
        return None
    return DatingLimits(
        previous=workflow.latest_effective(session, commitment.id), max_days_back=max_days_back
    )


def _tell_answer(
    session: Session,
    commitment: Commitment,
    actor: Actor,
    *,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """Queue a notice of an answer for the item's officer and everyone its stall reached.

    In the answer's own transaction: no answer without its notices, nor the reverse.
    The one who answered is not told of their own answer.
    """
    emails = [commitment.officer.email] if commitment.officer else []
    for rung in session.scalars(
        select(Escalation.recipients)
        .where(
            Escalation.commitment_id == commitment.id,
            Escalation.stage_seq == commitment.stage_seq,
        )
        .order_by(Escalation.level)
    ):
        emails += rung
    wanted: dict[str, None] = {}
    for email in emails:
        if email.lower() != actor.email.lower():
            wanted.setdefault(email.lower())
    if not wanted:
        return
    found = {
        person.email.lower(): person
        for person in session.scalars(
            select(Person).where(
                func.lower(Person.email).in_(list(wanted)), Person.active.is_(True)
            )
        )
    }
    for email in wanted:
        person = found.get(email)
        if person is None:
            continue
        session.add(_answer_message(kind, person, commitment, actor, subject, payload, now))
    session.flush()


def _answer_message(
    kind: str,
    person: Person,
    commitment: Commitment,
    actor: Actor,
    subject: str,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxMessage:
    """A message about what `actor` did to `commitment`, queued for `person`."""
    return OutboxMessage(
        escalation_id=None,
        kind=kind,
        recipient_email=person.email,
        recipient_name=person.name,
        language=person.language,
        subject=" ".join(subject.split())[:300],
        payload={
            "commitment": commitment.key,
            "actor_email": actor.email,
            "actor_name": actor.name,
            "actor_role": str(actor.role),
            "at": now.isoformat(),
            **payload,
        },
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )


def exempt(
    session: Session, *, key: str, actor_email: str, reason: str, now: datetime
) -> Commitment:
    """The chair takes the item off the ladder for good."""
    commitment = queries.get_commitment(session, key)
    actor = people.actor_for(people.by_email(session, actor_email))
    event = rules.exempt(workflow.state_of(commitment), actor, reason=reason, now=now)
    with workflow.refusals(commitment.key):
        commitment.exempt = True
        session.flush()
        workflow.append_event(
            session, commitment, event, seq=queries.next_event_seq(session, commitment.id)
        )
        session.flush()
    return commitment


@dataclass(frozen=True)
class Nudged:
    """A nudge asked for: whom it reminds, and whether this request sent it (False: one
    was already sent today)."""

    commitment: Commitment
    to: str
    sent: bool


_NUDGES: Table = Nudge.__table__  # type: ignore[assignment]


def nudge(
    session: Session,
    catalogue: Catalogue,
    *,
    key: str,
    actor_email: str,
    now: datetime,
    today: date,
) -> Nudged:
    """Remind whoever must take the item's next step, by mail through the outbox, once a day.

    The `nudges` row's unique (commitment, day) decides: a second nudge the same day (a
    double click, or another overseer) inserts nothing, and so records and sends nothing.
    """
    commitment = queries.get_commitment(session, key)
    actor = people.actor_for(people.by_email(session, actor_email))
    found = waiting.waiting_on(catalogue, commitment, waiting.holders(session))
    officer = commitment.officer.email if commitment.officer is not None else None
    recipient = attention.must_act(found, officer)
    event = attention.nudge(workflow.state_of(commitment), actor, recipient, now=now)
    assert recipient is not None  # the rule refuses a nudge with nobody to remind
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = session.execute(
        insert(_NUDGES)
        .values(
            commitment_id=commitment.id,
            day=today,
            sent_by=actor.email,
            sent_to=recipient.email,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["commitment_id", "day"])
        .returning(_NUDGES.c.id)
    ).scalar()
    if added is None:
        return Nudged(commitment=commitment, to=recipient.email, sent=False)
    person = people.by_email(session, recipient.email)
    with workflow.refusals(commitment.key):
        seq = queries.next_event_seq(session, commitment.id)
        workflow.append_event(session, commitment, event, seq=seq)
        session.add(
            _answer_message(
                "nudged",
                person,
                commitment,
                actor,
                f"{commitment.key}: a reminder from {actor.name or actor.email}",
                {"reason": event.comment, "until": None, "seq": seq},
                now,
            )
        )
        session.flush()
    return Nudged(commitment=commitment, to=person.email, sent=True)


def list_escalations(session: Session, key: str | None = None) -> Sequence[tuple[Escalation, str]]:
    """Escalations (and reminders, level 0) with their commitment's key, newest first."""
    query = select(Escalation, Commitment.key).join(
        Commitment, Commitment.id == Escalation.commitment_id
    )
    if key is not None:
        commitment = queries.get_commitment(session, key)
        query = query.where(Escalation.commitment_id == commitment.id)
    rows = session.execute(
        query.order_by(Escalation.created_at.desc(), Commitment.key, Escalation.level.desc())
    )
    return [(escalation, commitment_key) for escalation, commitment_key in rows]
