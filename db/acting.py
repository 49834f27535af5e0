"""Acting charges in force: who stands in for whom today, for acting on items and for mail.

A charge runs from `starts_on` through `until`, Pakistan days; it counts only while
both people are active. Given by `db.handover.give_acting_charge`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from db import people
from db.models import ActingCharge, Commitment, Person
from states.actors import Actor
from states.calendar import local_day

_Holder = aliased(Person)
_Acting = aliased(Person)


def _in_force(today: date) -> Any:
    return and_(
        ActingCharge.starts_on <= today,
        ActingCharge.until >= today,
        _Holder.active.is_(True),
        _Acting.active.is_(True),
    )


def _charges() -> Any:
    return (
        select(ActingCharge, _Holder, _Acting)
        .join(_Holder, _Holder.id == ActingCharge.for_person_id)
        .join(_Acting, _Acting.id == ActingCharge.person_id)
    )


def as_holder(
    session: Session, actor: Actor, commitment: Commitment, *, today: date
) -> Actor | None:
    """`actor` with the authority of the item's holder, when they hold the holder's charge today."""
    if commitment.officer_id is None:
        return None
    row = session.execute(
        _charges()
        .where(
            _in_force(today),
            ActingCharge.for_person_id == commitment.officer_id,
            func.lower(_Acting.email) == actor.email.lower(),
        )
        .limit(1)
    ).first()
    if row is None:
        return None
    holder = people.actor_for(row[1])
    return replace(holder, email=actor.email, name=actor.name)


def copies(session: Session, messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of each outbox row in `messages` for whoever holds its recipient's charge today.

    The copy names the holder in its payload (`acting_for`); nobody gets a message twice.
    """
    recipients = {m["recipient_email"].lower() for m in messages}
    if not recipients:
        return []
    today = local_day(messages[0]["created_at"])
    stand_ins: dict[str, list[Person]] = {}
    for _charge, holder, acting in session.execute(
        _charges().where(_in_force(today), func.lower(_Holder.email).in_(sorted(recipients)))
    ):
        stand_ins.setdefault(holder.email.lower(), []).append(acting)
    if not stand_ins:
        return []
    taken = {(m.get("escalation_id"), m["recipient_email"].lower()) for m in messages}
    made: list[dict[str, Any]] = []
    for message in messages:
        for acting in stand_ins.get(message["recipient_email"].lower(), ()):
            slot = (message.get("escalation_id"), acting.email.lower())
            if slot in taken:
                continue
            taken.add(slot)
            made.append(
                {
                    **message,
                    "recipient_email": acting.email,
                    "recipient_name": acting.name,
                    "language": acting.language,
                    "payload": {**message["payload"], "acting_for": message["recipient_email"]},
                }
            )
    return made


def in_force(session: Session, *, today: date) -> list[tuple[str, str, date]]:
    """(acting person, holder, last day) of every charge in force today."""
    rows = session.execute(_charges().where(_in_force(today)).order_by(ActingCharge.id))
    return [(acting.email, holder.email, charge.until) for charge, holder, acting in rows]
