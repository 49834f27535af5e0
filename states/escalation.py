"""Escalation rules: who hears of a stall at each rung, and who may answer it.

Pure: the caller passes the people to choose from, the commitment and `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from states.actors import FEDERAL, Actor, Role, covers
from states.definition import LadderLevel, Pipeline
from states.departments import department_key, reaches, refusal
from states.effective import DatingLimits, dating_problem
from states.errors import CommentRequiredError, FieldError, RoleNotAllowedError, TransitionError
from states.message import Message, place
from states.rules import CommitmentState, Event, EventKind, Status
from states.text import COMMENT

# How far up the hierarchy a role stands; acknowledging and snoozing need more than an officer.
RANK = {
    Role.OFFICER: 1,
    # A district's head: above its officers, answering for the district alone (`covers`).
    Role.DEPUTY_COMMISSIONER: 2,
    Role.SECRETARY: 2,
    Role.CHIEF_SECRETARY: 3,
    Role.FEDERAL_SECRETARY: 3,
    Role.CHAIR: 4,
    Role.ADMINISTRATOR: 0,
    Role.SYSTEM: 0,
}


@dataclass(frozen=True)
class Candidate:
    """A person who might receive an escalation."""

    email: str
    name: str
    role: Role
    jurisdiction: str
    department: str
    language: str = "en"


@dataclass(frozen=True)
class Item:
    """What recipient resolution needs to know about a commitment."""

    key: str
    jurisdiction: str
    department: str
    officer_email: str | None


@dataclass(frozen=True)
class Delivery:
    """Who gets the message for one rung, and whether they stand in for a missing rung."""

    level: LadderLevel
    recipients: tuple[Candidate, ...]
    # The rung whose role nobody holds, when these recipients are the next rung up.
    missing: LadderLevel | None = None


def role_for(role: Role, item: Item) -> Role:
    """A federal item has no chief secretary: the federal secretary stands in."""
    if role is Role.CHIEF_SECRETARY and item.jurisdiction == FEDERAL:
        return Role.FEDERAL_SECRETARY
    return role


def _depth(jurisdiction: str) -> int:
    return 0 if jurisdiction == FEDERAL else jurisdiction.count("/") + 1


def recipients(role: Role, item: Item, people: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """The people holding `role` for this item: the closest jurisdiction, same department first.

    The officer rung goes to the item's own officer when it has one (and is active).
    """
    wanted = role_for(role, item)
    if wanted is Role.OFFICER and item.officer_email:
        own = [p for p in people if p.email.lower() == item.officer_email.lower()]
        if own:
            return tuple(own)
    pool = [p for p in people if p.role is wanted and covers(p.jurisdiction, item.jurisdiction)]
    if wanted in (Role.OFFICER, Role.SECRETARY):
        item_department = department_key(item.department)
        same_department = [p for p in pool if department_key(p.department) == item_department]
        pool = same_department or pool
        if wanted is Role.OFFICER and item.officer_email:
            # Its own officer is no longer active: only an officer of its department stands
            # in; without one the rung is missing and goes up the ladder.
            pool = same_department
    if not pool:
        return ()
    closest = max(_depth(p.jurisdiction) for p in pool)
    return tuple(
        sorted((p for p in pool if _depth(p.jurisdiction) == closest), key=lambda p: p.email)
    )


def deliveries(
    pipeline: Pipeline, levels: Sequence[LadderLevel], item: Item, people: Sequence[Candidate]
) -> list[Delivery]:
    """For each rung to escalate, its recipients; a rung nobody holds goes to the next one up."""
    result = []
    for level in levels:
        found = recipients(level.notify, item, people)
        if found:
            result.append(Delivery(level=level, recipients=found))
            continue
        above = [rung for rung in pipeline.ladder if rung.level > level.level]
        stand_in: tuple[Candidate, ...] = ()
        for rung in above:
            stand_in = recipients(rung.notify, item, people)
            if stand_in:
                break
        result.append(Delivery(level=level, recipients=stand_in, missing=level))
    return result


def levels_to_escalate(
    pipeline: Pipeline, reached: LadderLevel | None, already: set[int]
) -> list[LadderLevel]:
    """Every rung up to the one reached that this stall episode has not escalated yet."""
    if reached is None:
        return []
    return [r for r in pipeline.ladder if r.level <= reached.level and r.level not in already]


def may_answer_any(actor: Actor) -> bool:
    """Whether `actor` stands above officers, and so answers escalations (secretary and up)."""
    return RANK[actor.role] > RANK[Role.OFFICER]


def may_answer(actor: Actor, jurisdiction: str, department: str = "") -> bool:
    """Whether `actor` may acknowledge or snooze an item of `jurisdiction` and `department`."""
    return (
        RANK[actor.role] > RANK[Role.OFFICER]
        and covers(actor.jurisdiction, jurisdiction)
        and reaches(actor, department)
    )


# The answers, as a message names them (a page says them in its language).
_ANSWERS = {
    "acknowledge": Message("acknowledge"),
    "snooze": Message("snooze"),
    "exempt": Message("exempt"),
}


def _above_the_item(state: CommitmentState, actor: Actor, action: str) -> None:
    where = {"key": state.key, "stage": state.stage, "action": action}
    said = {"action": _ANSWERS.get(action, action), "key": state.key}
    if RANK[actor.role] <= RANK[Role.OFFICER]:
        raise RoleNotAllowedError(
            Message(
                "Can't {action} {key}: {email} is {role}; a deputy commissioner, secretary,"
                " chief secretary, federal secretary or the chair must do it",
                email=actor.email,
                role=actor.role,
                **said,
            ),
            **where,
        )
    if not covers(actor.jurisdiction, state.jurisdiction):
        raise RoleNotAllowedError(
            Message(
                "Can't {action} {key}: it belongs to {jurisdiction}, and {email} acts for {own}",
                jurisdiction=place(state.jurisdiction),
                email=actor.email,
                own=place(actor.jurisdiction),
                **said,
            ),
            **where,
        )
    if not reaches(actor, state.department):
        raise RoleNotAllowedError(
            Message(
                "Can't {action} {key}: {problem}",
                problem=refusal(actor, state.department),
                **said,
            ),
            **where,
        )


def _open_with_reason(state: CommitmentState, action: str, reason: str) -> str:
    where = {"key": state.key, "stage": state.stage, "action": action}
    said = {"action": _ANSWERS.get(action, action), "key": state.key}
    if state.status is not Status.OPEN:
        raise TransitionError(
            Message(
                "Can't {action} {key}: it is closed ({status}); nothing is escalated",
                status=state.status,
                **said,
            ),
            **where,
        )
    cleaned = reason.strip()
    if not cleaned:
        raise CommentRequiredError(
            Message("Can't {action} {key}: it needs a reason", **said), **where
        )
    problem = COMMENT.problem(cleaned)
    if problem:
        problem = Message("the reason {problem}", problem=problem)
        raise FieldError(
            Message("Can't {action} {key}: {problem}", problem=problem, **said),
            fields=["reason"],
            problems={"reason": problem},
            **where,
        )
    return cleaned


def _event(
    kind: EventKind,
    state: CommitmentState,
    actor: Actor,
    now: datetime,
    reason: str,
    fields: dict[str, str] | None = None,
) -> Event:
    return Event(
        kind=kind,
        at=now,
        actor_email=actor.email,
        actor_role=actor.role,
        action=kind.value,
        from_stage=state.stage,
        to_stage=state.stage,
        fields=fields or {},
        comment=reason,
    )


def acknowledge(
    state: CommitmentState,
    actor: Actor,
    *,
    reason: str,
    now: datetime,
    effective_at: datetime | None = None,
    dating: DatingLimits | None = None,
) -> Event:
    """Someone above the item says they know of the stall and what is being done.

    `effective_at` dates the answer earlier than `now`, within `states.effective`'s rule.
    """
    cleaned = _open_with_reason(state, "acknowledge", reason)
    _above_the_item(state, actor, "acknowledge")
    event = _event(EventKind.ACKNOWLEDGED, state, actor, now, cleaned)
    return _dated(event, state, effective_at, dating, what="acknowledgement")


def snooze(
    pipeline: Pipeline,
    state: CommitmentState,
    actor: Actor,
    *,
    until: date,
    reason: str,
    now: datetime,
    today: date,
    effective_at: datetime | None = None,
    dating: DatingLimits | None = None,
) -> Event:
    """Hold escalations until `until`, at most the pipeline's snooze_max_days ahead."""
    cleaned = _open_with_reason(state, "snooze", reason)
    _above_the_item(state, actor, "snooze")
    latest = today + timedelta(days=pipeline.snooze_max_days)
    if not today < until <= latest:
        raise TransitionError(
            Message(
                "Can't snooze {key} until {until:%-d %B %Y}: choose a day after today and"
                " no later than {latest:%-d %B %Y} ({days} days, the most {pipeline} allows)",
                key=state.key,
                until=until,
                latest=latest,
                days=pipeline.snooze_max_days,
                pipeline=pipeline.key,
            ),
            key=state.key,
            stage=state.stage,
            action="snooze",
        )
    event = _event(EventKind.SNOOZED, state, actor, now, cleaned, {"until": until.isoformat()})
    return _dated(event, state, effective_at, dating, what="snooze")


def _dated(
    event: Event,
    state: CommitmentState,
    effective_at: datetime | None,
    dating: DatingLimits | None,
    *,
    what: str,
) -> Event:
    """The answer dated when it was given, if earlier than recorded and the rule allows it."""
    if effective_at is None:
        return event
    limits = dating or DatingLimits(previous=state.stage_entered_at)
    problem = dating_problem(
        effective_at, role=event.actor_role, now=event.at, limits=limits, what=what
    )
    if problem:
        raise FieldError(
            Message(
                "Can't {action} {key}: {problem}",
                action=_ANSWERS.get(event.action or "", event.action or ""),
                key=state.key,
                problem=problem,
            ),
            key=state.key,
            stage=state.stage,
            action=event.action or "",
            fields=["effective_at"],
            problems={"effective_at": problem},
        )
    return (
        replace(event, effective_at=effective_at.astimezone(UTC))
        if effective_at < event.at
        else event
    )


def exempt(state: CommitmentState, actor: Actor, *, reason: str, now: datetime) -> Event:
    """The chair takes the item off the ladder: no more escalations for it."""
    cleaned = _open_with_reason(state, "exempt", reason)
    if actor.role is not Role.CHAIR:
        raise RoleNotAllowedError(
            Message(
                "Can't exempt {key}: only the chair may exempt an item, and {email} is {role}",
                key=state.key,
                email=actor.email,
                role=actor.role,
            ),
            key=state.key,
            stage=state.stage,
            action="exempt",
        )
    return _event(EventKind.EXEMPTED, state, actor, now, cleaned)
