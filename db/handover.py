"""Changing people and who holds items: add, update, deactivate, reassign, hand over, acting charge.

One function per use case, shared by the command line and the web. Each change to a
person is recorded in `person_changes` with who made it; each change of holder is a
`reassigned` event in the commitment's history and bumps its version, so a form
opened by the old holder is refused. The caller owns the transaction: a hand-over
that cannot move one item moves none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db import people, queries, workflow
from db.models import ActingCharge, Commitment, Event, OutboxMessage, Person, PersonChange
from states import people as rules
from states.actors import Actor, Role
from states.errors import ConflictError, NotFoundError
from states.message import Message
from states.rules import Status


@dataclass(frozen=True)
class Reassigned:
    """One item that changed hands."""

    key: str
    from_email: str | None
    to_email: str
    event: Event
    version: int


@dataclass(frozen=True)
class Deactivated:
    """What deactivating a person did."""

    person: Person
    open_items: tuple[str, ...]
    messages_withdrawn: int


def any_by_email(session: Session, email: str) -> Person:
    """The person with `email` (any case), active or not, or a NotFoundError."""
    person = session.scalar(select(Person).where(func.lower(Person.email) == email.lower()))
    if person is None:
        raise NotFoundError(Message("no person with email {email}", email=email))
    return person


def _manager(session: Session, actor_email: str, what: str) -> Actor:
    actor = people.actor_for(people.by_email(session, actor_email))
    rules.require_people_manager(actor, what)
    return actor


def _record(
    session: Session,
    person: Person,
    kind: str,
    actor: Actor,
    *,
    changes: Mapping[str, Any],
    reason: str | None,
    now: datetime,
) -> None:
    session.add(
        PersonChange(
            person_id=person.id,
            kind=kind,
            at=now,
            actor_email=actor.email,
            changes=dict(changes),
            reason=reason,
        )
    )


def add_person(
    session: Session,
    *,
    actor_email: str,
    values: Mapping[str, Any],
    reason: str | None = None,
    now: datetime,
) -> Person:
    """Add a person who can act on items and receive mail (no password yet)."""
    actor = _manager(session, actor_email, "add people")
    spec = rules.valid_person(values)
    if spec.role is Role.SYSTEM:
        raise rules.PersonValueError(f"{spec.email}: the role system is the engine's own")
    cleaned = rules.clean_reason(reason, subject=spec.email)
    existing = session.scalar(select(Person).where(func.lower(Person.email) == spec.email.lower()))
    if existing is not None:
        raise rules.PersonValueError(
            Message("{email} is already listed; change their details instead", email=spec.email)
            if existing.active
            else Message(
                "{email} is listed, and inactive; change their details instead", email=spec.email
            )
        )
    person = Person(
        email=spec.email,
        name=spec.name,
        role=spec.role.value,
        jurisdiction=spec.jurisdiction,
        department=spec.department,
        language=spec.language,
        active=True,
        created_at=now,
    )
    session.add(person)
    session.flush()
    _record(
        session,
        person,
        "added",
        actor,
        changes=spec.model_dump(mode="json"),
        reason=cleaned,
        now=now,
    )
    session.flush()
    return person


def update_person(
    session: Session,
    *,
    actor_email: str,
    email: str,
    changes: Mapping[str, Any | None],
    reason: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """Change a person's details; returns what changed, each as [before, after]."""
    actor = _manager(session, actor_email, "change people")
    person = any_by_email(session, email)
    cleaned = rules.clean_reason(reason, subject=person.email)
    current = {name: getattr(person, name) for name in rules.PERSON_FIELDS}
    changed = rules.changed_values(current, changes)
    for name, value in changed.items():
        setattr(person, name, value)
    record = {name: [current[name], value] for name, value in changed.items()}
    _record(session, person, "updated", actor, changes=record, reason=cleaned, now=now)
    session.flush()
    return record


def deactivate_person(
    session: Session, *, actor_email: str, email: str, reason: str | None = None, now: datetime
) -> Deactivated:
    """Make a person inactive: they cannot sign in, act or receive mail; their items stay listed.

    Mail still waiting for them is withdrawn (marked dead, saying why); their open items
    keep them as holder until they are reassigned or handed over.
    """
    actor = _manager(session, actor_email, "deactivate people")
    person = any_by_email(session, email)
    cleaned = rules.clean_reason(reason, subject=person.email)
    if not person.active:
        raise rules.PersonValueError(Message("{email} is already inactive", email=person.email))
    if person.email.lower() == actor.email.lower():
        raise rules.PersonValueError(
            Message("{email} cannot deactivate themselves", email=person.email)
        )
    person.active = False  # the model's hook ends every browser session
    withdrawn = session.execute(
        update(OutboxMessage)
        .where(
            func.lower(OutboxMessage.recipient_email) == person.email.lower(),
            OutboxMessage.status == "pending",
        )
        .values(status="dead", last_error="not sent: the recipient was made inactive")
    ).rowcount  # type: ignore[attr-defined]
    _record(session, person, "deactivated", actor, changes={}, reason=cleaned, now=now)
    session.flush()
    return Deactivated(
        person=person,
        open_items=tuple(open_items(session).get(person.id, ())),
        messages_withdrawn=int(withdrawn or 0),
    )


def open_items(session: Session) -> dict[int, list[str]]:
    """The keys of each person's open items, by person id, in key order."""
    rows = session.execute(
        select(Commitment.officer_id, Commitment.key)
        .where(Commitment.status == Status.OPEN.value, Commitment.officer_id.is_not(None))
        .order_by(Commitment.key)
    )
    found: dict[int, list[str]] = {}
    for officer_id, key in rows:
        if officer_id is not None:
            found.setdefault(officer_id, []).append(key)
    return found


def _holder(person: Person) -> rules.Holder:
    return rules.Holder(
        email=person.email,
        role=Role(person.role),
        jurisdiction=person.jurisdiction,
        active=person.active,
    )


def _give(
    session: Session,
    commitment: Commitment,
    new: Person,
    actor: Actor,
    *,
    reason: str | None,
    now: datetime,
) -> Reassigned:
    current = commitment.officer.email if commitment.officer else None
    event = rules.reassign(
        workflow.state_of(commitment),
        actor,
        current=current,
        new=_holder(new),
        reason=reason,
        now=now,
    )
    with workflow.refusals(commitment.key):
        commitment.officer = new
        session.flush()  # the version check and bump
        row = workflow.append_event(
            session, commitment, event, seq=queries.next_event_seq(session, commitment.id)
        )
        session.flush()
    return Reassigned(
        key=commitment.key,
        from_email=current,
        to_email=new.email,
        event=row,
        version=commitment.version,
    )


def reassign(
    session: Session,
    *,
    key: str,
    to_email: str,
    actor_email: str,
    reason: str | None = None,
    now: datetime,
    expected_version: int | None = None,
) -> Reassigned:
    """Give commitment `key` to the person `to_email`, with a `reassigned` event."""
    commitment = queries.get_commitment(session, key, lock=True)
    if expected_version is not None and commitment.version != expected_version:
        raise ConflictError(
            Message(
                "{key} changed since you looked at it (version {expected}, now {version});"
                " review it and try again",
                key=commitment.key,
                expected=expected_version,
                version=commitment.version,
            )
        )
    actor = people.actor_for(people.by_email(session, actor_email))
    new = people.by_email(session, to_email)
    return _give(session, commitment, new, actor, reason=reason, now=now)


def handover(
    session: Session,
    *,
    from_email: str,
    to_email: str,
    actor_email: str,
    reason: str | None = None,
    now: datetime,
) -> list[Reassigned]:
    """Give every open item of `from_email` (active or not) to `to_email`, one event each.

    All or nothing: the first item that cannot move raises, and the caller's
    transaction takes back the ones already moved.
    """
    actor = people.actor_for(people.by_email(session, actor_email))
    old = any_by_email(session, from_email)
    new = people.by_email(session, to_email)
    if old.id == new.id:
        raise rules.PersonValueError(
            Message("{email} cannot hand over to themselves", email=old.email)
        )
    items = session.scalars(
        select(Commitment)
        .where(Commitment.officer_id == old.id, Commitment.status == Status.OPEN.value)
        .order_by(Commitment.key)
        .with_for_update(of=Commitment)
    ).all()
    return [_give(session, item, new, actor, reason=reason, now=now) for item in items]


def give_acting_charge(
    session: Session,
    *,
    actor_email: str,
    email: str,
    for_email: str,
    until: date,
    today: date,
    now: datetime,
) -> ActingCharge:
    """`email` holds `for_email`'s charge from today through `until`."""
    actor = _manager(session, actor_email, "give acting charges")
    person = any_by_email(session, email)
    holder = any_by_email(session, for_email)
    problem = rules.acting_charge_problem(
        _holder(person), _holder(holder), until=until, today=today
    )
    if problem:
        raise rules.PersonValueError(f"acting charge not given: {problem}")
    charge = ActingCharge(
        person_id=person.id,
        for_person_id=holder.id,
        starts_on=today,
        until=until,
        created_at=now,
        created_by=actor.email,
    )
    session.add(charge)
    _record(
        session,
        person,
        "acting",
        actor,
        changes={"for": holder.email, "from": today.isoformat(), "until": until.isoformat()},
        reason=None,
        now=now,
    )
    session.flush()
    return charge
