"""Departments: who may act on whose items, and how a department's name compares.

Officers and secretaries work inside a department: they act on their own
department's items, and on another's only where a pipeline names their department
as taking part (the Law Department vets another department's bill). Chief
secretaries, federal roles, the chair and administrators keep their reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from states.actors import Actor, Role
from states.message import Kind, Message, Named

# The roles whose reach ends at their own department.
DEPARTMENT_BOUND = frozenset({Role.OFFICER, Role.SECRETARY})

_SEPARATORS = re.compile(r"[\s_\-]+")


def department_key(value: str) -> str:
    """The key a department compares by: 'Women Development', 'women-development' and
    'women_development' are one department."""
    return "_".join(part for part in _SEPARATORS.split(value.strip().lower()) if part)


def department_name(value: str) -> str:
    """A department as a sentence names it: 'law' → 'the Law Department'."""
    words = " ".join(part.capitalize() for part in department_key(value).split("_"))
    if words.lower().endswith(("department", "office")):
        return f"the {words}"
    return f"the {words} Department"


def reaches(actor: Actor, department: str, taking_part: Iterable[str] = ()) -> bool:
    """Whether `actor` may act on an item of `department`, with `taking_part` the other
    departments the pipeline names for this step.

    An item without a department (older data, a unit test's bare state) limits nobody.
    """
    if actor.role not in DEPARTMENT_BOUND or not department.strip():
        return True
    own = department_key(actor.department)
    return own == department_key(department) or own in {department_key(d) for d in taking_part}


def refusal(actor: Actor, department: str) -> str:
    """Why `actor` may not act on an item of `department`, for the end of a message."""
    values = {"department": named(department), "email": actor.email, "role": actor.role}
    if actor.department.strip():
        return Message(
            "it belongs to {department}, and {email} ({role}) is in {own}",
            own=named(actor.department),
            **values,
        )
    return Message("it belongs to {department}, and {email} ({role}) has no department", **values)


def named(department: str) -> Named:
    """A department as a sentence names it, keeping its key for a page in another language."""
    return Named(department_name(department), key=department_key(department), kind=Kind.DEPARTMENT)
