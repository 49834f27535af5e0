"""Changing people and who holds items: who may, what a valid person is, who may take an item.

Pure: the caller passes the people and commitments as values, and `now`.

- Adding, updating and deactivating people, and giving acting charges, is for the
  administrator and the chair (`may_manage_people`).
- Reassigning an item, or handing over every item of one person, is for them, and
  for anyone above an officer whose jurisdiction covers the item (a secretary may
  move an item between the officers of their own jurisdiction).
- The new holder must be active, hold items (officer and deputy commissioner up to
  federal secretary) and have a jurisdiction that covers the item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from states.actors import Actor, Role, covers
from states.errors import (
    AccessDeniedError,
    FieldError,
    RoleNotAllowedError,
    TaskforceError,
    TransitionError,
)
from states.escalation import may_answer
from states.meeting import PersonSpec
from states.message import Listing, Message
from states.rules import CommitmentState, Event, EventKind, Status
from states.text import COMMENT

PEOPLE_MANAGERS = frozenset({Role.ADMINISTRATOR, Role.CHAIR})
# Who can hold an item: the chair, the administrator and the system oversee, never hold.
HOLDERS = frozenset(
    {
        Role.OFFICER,
        Role.DEPUTY_COMMISSIONER,
        Role.SECRETARY,
        Role.CHIEF_SECRETARY,
        Role.FEDERAL_SECRETARY,
    }
)
PERSON_FIELDS = ("email", "name", "role", "jurisdiction", "department", "language")
LANGUAGES = ("en", "ur")


class PersonValueError(TaskforceError):
    """A person's details are not valid."""

    exit_code = 1


@dataclass(frozen=True)
class Holder:
    """A person who might take over an item, as the rule needs them."""

    email: str
    role: Role
    jurisdiction: str
    active: bool


def may_manage_people(actor: Actor) -> bool:
    """Whether `actor` may add, change or deactivate people and give acting charges."""
    return actor.role in PEOPLE_MANAGERS


def require_people_manager(actor: Actor, what: str) -> None:
    """Refuse `what` (e.g. "add people") unless `actor` is the administrator or the chair."""
    if not may_manage_people(actor):
        raise AccessDeniedError(
            f"Can't {what}: {actor.email} is {actor.role}; only the administrator or the chair"
            " may change people"
        )


def valid_person(values: Mapping[str, Any]) -> PersonSpec:
    """The person `values` describe, checked as a meeting file's people are.

    Raises PersonValueError naming the first wrong value and what it must be.
    """
    try:
        return PersonSpec.model_validate(dict(values))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "person"
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "string_too_short":
            message = "must not be empty"
        elif first["type"] == "string_pattern_mismatch" and where == "email":
            message = "not an email address (write it as name@example.org)"
        elif first["type"] == "enum" and where == "role":
            message = "must be one of " + ", ".join(r.value for r in Role if r is not Role.SYSTEM)
        elif where == "language":
            message = "must be one of " + ", ".join(LANGUAGES)
        email = values.get("email") or "the person"
        raise PersonValueError(f"{email}: {where}: {message}") from None


def checked_language(email: str, language: str) -> str:
    """`language` if people may read in it; else a PersonValueError naming the person."""
    if language not in LANGUAGES:
        raise PersonValueError(
            Message(
                "{email}: language: must be one of {languages}",
                email=email,
                languages=Listing(LANGUAGES),
            )
        )
    return language


def changed_values(current: Mapping[str, Any], wanted: Mapping[str, Any | None]) -> dict[str, Any]:
    """The values of `wanted` (None: unchanged) that differ from `current`, validated together.

    Raises PersonValueError when nothing would change or a new value is not valid.
    """
    changes = {
        name: value
        for name, value in wanted.items()
        if value is not None and name in PERSON_FIELDS and value != current.get(name)
    }
    if "email" in changes:
        raise PersonValueError(f"{current['email']}: an email cannot change; add a new person")
    if not changes:
        raise PersonValueError(f"{current['email']}: nothing to change")
    if "role" in changes and changes["role"] == Role.SYSTEM.value:
        raise PersonValueError(f"{current['email']}: the role system is the engine's own")
    valid_person({**{k: current[k] for k in PERSON_FIELDS}, **changes})
    return changes


def clean_reason(reason: str | None, *, subject: str) -> str | None:
    """A reason as stored (stripped, None when blank), or PersonValueError when too long."""
    cleaned = (reason or "").strip()
    if not cleaned:
        return None
    problem = COMMENT.problem(cleaned)
    if problem:
        raise PersonValueError(f"{subject}: the reason {problem}")
    return cleaned


def reassign(
    state: CommitmentState,
    actor: Actor,
    *,
    current: str | None,
    new: Holder,
    reason: str | None,
    now: datetime,
) -> Event:
    """The event that gives the item `state` to `new`, or the error that says why it cannot."""
    where = {"key": state.key, "stage": state.stage, "action": "reassign"}
    if state.status is not Status.OPEN:
        raise TransitionError(
            f"Can't reassign {state.key}: it is closed ({state.status}); only open items"
            " change hands",
            **where,
        )
    if not (may_manage_people(actor) or may_answer(actor, state.jurisdiction)):
        raise RoleNotAllowedError(
            f"Can't reassign {state.key}: {actor.email} is {actor.role} for {actor.jurisdiction};"
            " the administrator, the chair, or a secretary or above over"
            f" {state.jurisdiction} must do it",
            **where,
        )
    if not new.active:
        raise TransitionError(
            f"Can't reassign {state.key} to {new.email}: they are no longer active", **where
        )
    if new.role not in HOLDERS:
        raise RoleNotAllowedError(
            f"Can't reassign {state.key} to {new.email}: a {new.role} does not hold items;"
            " give it to an officer or a secretary",
            **where,
        )
    if not covers(new.jurisdiction, state.jurisdiction):
        raise RoleNotAllowedError(
            f"Can't reassign {state.key} to {new.email}: it belongs to {state.jurisdiction},"
            f" and {new.email} acts for {new.jurisdiction}",
            **where,
        )
    if current is not None and current.lower() == new.email.lower():
        raise TransitionError(
            f"Can't reassign {state.key} to {new.email}: they already hold it", **where
        )
    cleaned = (reason or "").strip() or None
    if cleaned is not None:
        problem = COMMENT.problem(cleaned)
        if problem:
            raise FieldError(
                f"Can't reassign {state.key}: the reason {problem}",
                fields=["reason"],
                problems={"reason": f"the reason {problem}"},
                **where,
            )
    return Event(
        kind=EventKind.REASSIGNED,
        at=now,
        actor_email=actor.email,
        actor_role=actor.role,
        action="reassign",
        from_stage=state.stage,
        to_stage=state.stage,
        fields={"from": current or "", "to": new.email},
        comment=cleaned,
    )


def acting_charge_problem(
    person: Holder, holder: Holder, *, until: date, today: date
) -> str | None:
    """Why `person` may not hold `holder`'s charge until `until`, or None."""
    if person.email.lower() == holder.email.lower():
        return f"{person.email} cannot hold their own charge"
    if not person.active:
        return f"{person.email} is no longer active"
    if not holder.active:
        return f"{holder.email} is no longer active: reassign their items instead"
    if until < today:
        return f"the acting charge would end on {until:%-d %B %Y}, before today"
    return None


def acting(actor: Actor, holder: Holder) -> Actor:
    """`actor` acting in `holder`'s charge: the holder's role and jurisdiction, their own name."""
    return Actor(
        email=actor.email, role=holder.role, jurisdiction=holder.jurisdiction, name=actor.name
    )
