"""An item's clocks paused and resumed: part of the workflow service.

Like a move, each checks and bumps the commitment's version (a form opened before
is refused) and appends its event, in the caller's transaction. A paused item has
no due time, so the sweep neither escalates nor reminds it; the sweep resumes
those whose pause has reached the day it was given (`ended`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import people, queries, workflow
from db.models import Commitment, Event
from states import pausing, rules
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue


def effective_deadline(commitment: Commitment) -> date | None:
    """The commitment's deadline moved on by the pauses it has ended (whole days): the day
    its deadline clock ends, as the sweep and every page count it."""
    if commitment.deadline is None:
        return None
    paused = timedelta(seconds=commitment.deadline_paused_seconds or 0)
    return pausing.deadline_after_pauses(commitment.deadline, paused)


def pause(
    session: Session,
    *,
    key: str,
    actor_email: str,
    reason: str,
    until: date | None,
    now: datetime,
) -> Event:
    """Stop the clocks of commitment `key`, as `actor_email`, for `reason` (until `until`)."""
    commitment = queries.get_commitment(session, key, lock=True)
    actor = people.actor_for(people.by_email(session, actor_email))
    event = pausing.pause(workflow.state_of(commitment), actor, reason=reason, until=until, now=now)
    commitment.paused_at = now
    commitment.paused_until = until
    commitment.due_at = None
    return _record(session, commitment, event)


def resume(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    *,
    key: str,
    actor_email: str | None,
    now: datetime,
) -> Event:
    """Start the clocks of commitment `key` again; its due time moves on by the pause.

    `actor_email` None is the system, at the end of the day the item was paused until.
    """
    commitment = queries.get_commitment(session, key, lock=True)
    actor = (
        people.actor_for(people.by_email(session, actor_email)) if actor_email is not None else None
    )
    resumed = pausing.resume(workflow.state_of(commitment), actor, now=now)
    commitment.paused_at = None
    commitment.paused_until = None
    commitment.stage_paused_seconds = int(resumed.stage_paused.total_seconds())
    commitment.deadline_paused_seconds = int(resumed.deadline_paused.total_seconds())
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    commitment.due_at = workflow.due_at_of(pipeline, commitment, calendar)
    return _record(session, commitment, resumed.event)


def ended(session: Session, *, today: date) -> list[str]:
    """The open items whose pause has reached the day it was given (the sweep resumes them)."""
    return list(
        session.scalars(
            select(Commitment.key)
            .where(
                Commitment.status == "open",
                Commitment.paused_at.is_not(None),
                Commitment.paused_until < today,
            )
            .order_by(Commitment.key)
        )
    )


def _record(session: Session, commitment: Commitment, event: rules.Event) -> Event:
    with workflow.refusals(commitment.key):
        session.flush()  # checks and bumps the version: a concurrent move fails, not lost
        row = workflow.append_event(
            session, commitment, event, seq=queries.next_event_seq(session, commitment.id)
        )
        session.flush()
    return row
