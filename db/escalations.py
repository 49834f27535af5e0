"""Answering escalations (acknowledge, snooze, exempt) and reading them back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db import people, queries, workflow
from db.models import Commitment, Escalation
from states import escalation as rules
from states.catalogue import Catalogue
from states.errors import NotFoundError


def acknowledge(session: Session, *, key: str, actor_email: str, reason: str, now: datetime) -> int:
    """Record that someone above the item knows of its stall; returns how many rungs it covers."""
    commitment = queries.get_commitment(session, key)
    actor = people.actor_for(people.by_email(session, actor_email))
    event = rules.acknowledge(workflow.state_of(commitment), actor, reason=reason, now=now)
    current = (
        Escalation.commitment_id == commitment.id,
        Escalation.stage_seq == commitment.stage_seq,
        Escalation.level > 0,
        Escalation.acknowledged_at.is_(None),
    )
    pending = session.scalars(select(Escalation.id).where(*current)).all()
    if not pending:
        raise NotFoundError(
            f"nothing to acknowledge: {commitment.key} has no unacknowledged escalation"
            f" in its current stage ({commitment.stage})"
        )
    session.execute(
        update(Escalation).where(*current).values(acknowledged_at=now, acknowledged_by=actor.email)
    )
    workflow.append_event(
        session, commitment, event, seq=queries.next_event_seq(session, commitment.id)
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
    )
    commitment.snoozed_until = until
    session.flush()
    workflow.append_event(
        session, commitment, event, seq=queries.next_event_seq(session, commitment.id)
    )
    return commitment


def exempt(
    session: Session, *, key: str, actor_email: str, reason: str, now: datetime
) -> Commitment:
    """The chair takes the item off the ladder for good."""
    commitment = queries.get_commitment(session, key)
    actor = people.actor_for(people.by_email(session, actor_email))
    event = rules.exempt(workflow.state_of(commitment), actor, reason=reason, now=now)
    commitment.exempt = True
    session.flush()
    workflow.append_event(
        session, commitment, event, seq=queries.next_event_seq(session, commitment.id)
    )
    return commitment


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
