"""Who must act now on commitments, with the people read once for a whole page or digest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from db.models import Commitment, Person
from db.workflow import state_of
from states import waiting
from states.actors import Role
from states.catalogue import Catalogue
from states.waiting import Holder, People

_PEOPLE = Person.__table__
_ACTIVE = select(
    _PEOPLE.c.email,
    _PEOPLE.c.name,
    _PEOPLE.c.role,
    _PEOPLE.c.jurisdiction,
    _PEOPLE.c.department,
).where(_PEOPLE.c.active == true())


def holders(session: Session) -> People:
    """Every active person, as the rule needs them: one query, for any number of items."""
    return People(
        Holder(
            email=row.email,
            name=row.name,
            role=Role(row.role),
            jurisdiction=row.jurisdiction,
            department=row.department,
        )
        for row in session.connection().execute(_ACTIVE)
    )


def waiting_on(
    catalogue: Catalogue, commitment: Commitment, people: People
) -> tuple[Holder, ...]:
    """The people who may take `commitment`'s next step now, most expected first."""
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    officer = commitment.officer.email if commitment.officer is not None else None
    return waiting.waiting_on(pipeline, state_of(commitment), people, officer_email=officer)


def records(found: Sequence[Holder]) -> list[dict[str, Any]]:
    """The JSON shape of who must act: name, email and role of each, in order."""
    return [{"name": p.name, "email": p.email, "role": p.role.value} for p in found]


def described(found: Sequence[Holder], *, limit: int = 3) -> str:
    """'Kamran Aslam (officer), Shazia Nawaz (secretary) and 2 more', or '' for nobody."""
    shown = ", ".join(f"{p.name} ({p.role.value.replace('_', ' ')})" for p in found[:limit])
    more = len(found) - limit
    return f"{shown} and {more} more" if more > 0 else shown
