"""What needs a person's attention: the rung actually reached, whether an item is handled,
the order of "Needs you", who a nudge reminds, and who may nudge.

Pure: the caller passes what the database recorded (the rungs escalated in the current
stall episode, the answers) and `today`. The level shown is the highest rung whose mail
actually went out, never one computed from the days overdue: that is what the people
above have been told.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from states.actors import Actor
from states.calendar import local_day
from states.errors import RoleNotAllowedError, TransitionError
from states.escalation import RANK, may_answer
from states.message import Message, place
from states.rules import CommitmentState, Event, EventKind, Status
from states.urgency import most_urgent_first
from states.waiting import Holder

NUDGE_TEXT = "a reminder to take the next step"


def level_reached(levels: Iterable[int]) -> int | None:
    """The highest ladder rung escalated (reminders, level 0, are not a rung); None if none."""
    rungs = [level for level in levels if level > 0]
    return max(rungs) if rungs else None


class Handling(StrEnum):
    """How someone above an item has handled its stall."""

    EXEMPT = "exempt"
    SNOOZED = "snoozed"
    ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True)
class Rung:
    """One escalation recorded in the current stall episode, as the rule needs it."""

    level: int
    recipients: tuple[str, ...] = ()
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Handled:
    """An item whose stall is answered: how, by whom and when (or until when)."""

    how: Handling
    by: str | None = None
    on: date | None = None


def handled(
    *, exempt: bool, snoozed_until: date | None, rungs: Sequence[Rung], today: date
) -> Handled | None:
    """Whether the stall is answered: exempted, snoozed through today or later, or every
    escalated rung acknowledged. A new rung after an acknowledgement is not handled."""
    if exempt:
        return Handled(Handling.EXEMPT)
    if snoozed_until is not None and snoozed_until >= today:
        return Handled(Handling.SNOOZED, on=snoozed_until)
    escalated = [rung for rung in rungs if rung.level > 0]
    if escalated and all(rung.acknowledged_at is not None for rung in escalated):
        latest = max(escalated, key=lambda rung: rung.acknowledged_at or datetime.min)
        when = latest.acknowledged_at
        return Handled(
            Handling.ACKNOWLEDGED,
            by=latest.acknowledged_by,
            on=local_day(when) if when is not None else None,
        )
    return None


def escalated_to(rungs: Sequence[Rung], email: str) -> bool:
    """Whether any rung of the current episode was mailed to `email`."""
    wanted = email.lower()
    return any(wanted in (r.lower() for r in rung.recipients) for rung in rungs if rung.level > 0)


@dataclass(frozen=True)
class Ranked:
    """An item as `states.urgency` orders it (not overdue counts as 0 days)."""

    key: str
    escalated_level: int | None
    overdue_days: int


def urgency(level: int | None, overdue_days: int | None, key: str) -> tuple[int, int, str]:
    """The order of "Needs you", the digest's own: the rung actually reached first, then the
    days overdue, then the key."""
    return most_urgent_first(Ranked(key, level, overdue_days or 0))


def must_act(waiting_on: Sequence[Holder], officer_email: str | None) -> Holder | None:
    """Whom a nudge reminds: the item's own officer when they may take the next step, else
    the person most expected to take it."""
    own = (officer_email or "").lower()
    for person in waiting_on:
        if own and person.email.lower() == own:
            return person
    return waiting_on[0] if waiting_on else None


def nudge(
    state: CommitmentState, actor: Actor, recipient: Holder | None, *, now: datetime
) -> Event:
    """A reminder to whoever must act, sent by someone above the item: the `nudged` event."""
    where = {"key": state.key, "stage": state.stage, "action": "nudge"}
    if state.status is not Status.OPEN:
        raise TransitionError(
            Message(
                "Can't nudge {key}: it is closed ({status}); no step is waiting",
                key=state.key,
                status=state.status,
            ),
            **where,
        )
    if not may_answer(actor, state.jurisdiction, state.department):
        above = RANK[actor.role] > 1
        raise RoleNotAllowedError(
            Message(
                "Can't nudge {key}: {email} ({role}, {jurisdiction}) does not oversee it",
                key=state.key,
                email=actor.email,
                role=actor.role,
                jurisdiction=place(actor.jurisdiction),
            )
            if above
            else Message(
                "Can't nudge {key}: a secretary, chief secretary, federal secretary or the chair"
                " must do it",
                key=state.key,
            ),
            **where,
        )
    if recipient is None:
        raise TransitionError(
            Message(
                "Can't nudge {key}: nobody active may take its next step; reassign it first",
                key=state.key,
            ),
            **where,
        )
    return Event(
        kind=EventKind.NUDGED,
        at=now,
        actor_email=actor.email,
        actor_role=actor.role,
        action="nudge",
        from_stage=state.stage,
        to_stage=state.stage,
        fields={"to": recipient.email},
        comment=NUDGE_TEXT,
    )


# Opening "Needs you" again this soon after the last visit is the same visit (a reload, the
# next page, a return from an answer): what changed stays marked, and nothing is recorded.
SAME_VISIT = timedelta(minutes=1)


def same_visit(last: datetime | None, *, now: datetime) -> bool:
    """Whether opening "Needs you" at `now` continues the visit last recorded at `last`."""
    return last is not None and timedelta(0) <= now - last < SAME_VISIT
