"""Who may reach what: the rule behind every web page, form post and API call.

Each route declares one `Access`; `allows` decides it from the person's role and
jurisdiction alone, so the same table answers for the pages, the API and the
tests that walk every route. Which transition a role may take stays with the
transition rule (`rules.options`), checked once the item is loaded.
"""

from __future__ import annotations

from enum import StrEnum

from states.actors import Actor, Role, covers
from states.escalation import may_answer
from states.people import may_manage_people

# Those who oversee rather than hold items: they see the board and the digests.
OVERSEERS = frozenset(
    {
        Role.DEPUTY_COMMISSIONER,
        Role.SECRETARY,
        Role.CHIEF_SECRETARY,
        Role.FEDERAL_SECRETARY,
        Role.CHAIR,
        Role.ADMINISTRATOR,
    }
)


class Access(StrEnum):
    """What a route needs of the person asking."""

    PUBLIC = "public"
    """Anyone, signed in or not: the sign-in page, static files, the API description."""
    SIGNED_IN = "signed_in"
    """Any signed-in person; what they see is limited to their jurisdiction."""
    BOARD = "board"
    """Overseers (deputy commissioners, secretaries, chief secretaries, federal secretary,
    chair, administrator)."""
    ITEM = "item"
    """Reading one commitment: its jurisdiction must lie within the person's."""
    ADVANCE = "advance"
    """Moving one commitment: as ITEM, then the transition's own roles decide."""
    ANSWER = "answer"
    """Acknowledging or snoozing an escalation: rank above officer, over the item's jurisdiction;
    a secretary only for their own department's items."""
    DIGEST = "digest"
    """Reading a digest: an overseer whose jurisdiction covers the digest's scope."""
    PEOPLE = "people"
    """Changing people and who holds items: the administrator and the chair."""


ITEM_SCOPED = frozenset({Access.ITEM, Access.ADVANCE, Access.ANSWER})


def allows(
    access: Access,
    actor: Actor | None,
    *,
    jurisdiction: str | None = None,
    department: str = "",
) -> bool:
    """Whether `actor` (None: not signed in) may reach a route guarded by `access`.

    `jurisdiction` is the item's (ITEM, ADVANCE, ANSWER) or the digest's scope (DIGEST);
    `department` the item's (ANSWER). Reading an item is not limited by department, and
    advancing it is decided by the transition rule, which knows the departments that take
    part in each step.
    """
    if access is Access.PUBLIC:
        return True
    if actor is None or actor.role is Role.SYSTEM:
        return False
    if access is Access.SIGNED_IN:
        return True
    if access is Access.BOARD:
        return actor.role in OVERSEERS
    if access is Access.PEOPLE:
        return may_manage_people(actor)
    if jurisdiction is None:
        raise ValueError(f"{access} needs the jurisdiction of what is asked for")
    if access is Access.DIGEST:
        return actor.role in OVERSEERS and covers(actor.jurisdiction, jurisdiction)
    if access is Access.ANSWER:
        return may_answer(actor, jurisdiction, department)
    return covers(actor.jurisdiction, jurisdiction)
