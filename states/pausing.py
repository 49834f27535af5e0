"""Stopping an item's clocks, and starting them again.

A court's stay, a prorogued assembly or an election period can stop the work a
decision asks for, through nobody's fault. A secretary or above over the item then
pauses it, saying why and, if known, until when: while paused it is never due, so
it is neither escalated nor reminded, and when it resumes (by hand, or once the
day it was paused until has ended) each of its clocks moves on by the time it
stood still. The stage's clock is credited only with the part of the pause spent
in the current stage; the deadline's with all of it. Pure: `now` is an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from states.actors import SYSTEM_ACTOR, Actor
from states.calendar import local_day
from states.errors import AccessDeniedError, TaskforceError
from states.escalation import may_answer
from states.message import Message
from states.rules import CommitmentState, Event, EventKind, Status
from states.text import COMMENT

UNTIL = "until"
PAUSED_DAYS = "paused_days"


class PauseRefusedError(TaskforceError):
    """The item's clocks cannot be paused or resumed as asked."""

    exit_code = 2


@dataclass(frozen=True)
class Resumed:
    """A resume's event, and each clock's credit after it."""

    event: Event
    stage_paused: timedelta
    deadline_paused: timedelta


def require_pauser(actor: Actor, state: CommitmentState) -> None:
    """Refuse unless `actor` is a secretary or above over the item."""
    if not may_answer(actor, state.jurisdiction, state.department):
        raise AccessDeniedError(
            Message(
                "Can't pause or resume {key}: {email} is not a secretary or above over it",
                key=state.key,
                email=actor.email,
            )
        )


def pause(
    state: CommitmentState, actor: Actor, *, reason: str, until: date | None, now: datetime
) -> Event:
    """The event that stops an open item's clocks, once the request is checked."""
    require_pauser(actor, state)
    if state.status is not Status.OPEN:
        raise PauseRefusedError(
            Message("Can't pause {key}: it has ended; only an open item has clocks", key=state.key)
        )
    if state.paused_at is not None:
        raise PauseRefusedError(Message("Can't pause {key}: it is paused already", key=state.key))
    said = reason.strip()
    problem = COMMENT.problem(said) if said else Message("is empty; say why it is paused")
    if problem:
        raise PauseRefusedError(
            Message("Can't pause {key}: the reason {problem}", key=state.key, problem=problem)
        )
    today = local_day(now)
    if until is not None and until < today:
        raise PauseRefusedError(
            Message(
                "Can't pause {key} until {until}: that day has passed; give a later day or none",
                key=state.key,
                until=until.isoformat(),
            )
        )
    return Event(
        kind=EventKind.PAUSED,
        at=now,
        actor_email=actor.email,
        actor_role=actor.role,
        action=None,
        from_stage=None,
        to_stage=state.stage,
        fields={UNTIL: until.isoformat()} if until is not None else {},
        comment=said,
    )


def resume(state: CommitmentState, actor: Actor | None, *, now: datetime) -> Resumed:
    """Start a paused item's clocks again: the event, and each clock's new credit.

    `actor` None is the system, resuming once the day the item was paused until has ended.
    """
    if actor is not None:
        require_pauser(actor, state)
    if state.paused_at is None:
        raise PauseRefusedError(Message("Can't resume {key}: it is not paused", key=state.key))
    stood = max(now - state.paused_at, timedelta(0))
    in_stage = max(now - max(state.paused_at, state.stage_entered_at), timedelta(0))
    who = actor or SYSTEM_ACTOR
    event = Event(
        kind=EventKind.RESUMED,
        at=now,
        actor_email=who.email,
        actor_role=who.role,
        action=None,
        from_stage=None,
        to_stage=state.stage,
        fields={PAUSED_DAYS: str(stood.days)},
        comment=None,
    )
    return Resumed(
        event=event,
        stage_paused=state.stage_paused + in_stage,
        deadline_paused=state.deadline_paused + stood,
    )


def deadline_after_pauses(deadline: date, paused: timedelta) -> date:
    """The last day of a deadline moved on by the time the item stood paused (a part of a day
    counts as a day: a pause never shortens the time given).

    The one rule for the deadline's clock: the item is due at the end of this day
    (`states.stalls.due`), lapses at its deadline only after it, and pages and the API
    show it as the deadline in effect.
    """
    whole, part = divmod(paused, timedelta(days=1))
    return deadline + timedelta(days=whole + (1 if part else 0))
