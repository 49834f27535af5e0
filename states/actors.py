"""Roles, jurisdictions and the people who act on commitments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a person may do; combined with a jurisdiction it decides authority."""

    OFFICER = "officer"
    DEPUTY_COMMISSIONER = "deputy_commissioner"
    """A district's head of administration; chairs its District Human Rights Committee."""
    SECRETARY = "secretary"
    CHIEF_SECRETARY = "chief_secretary"
    FEDERAL_SECRETARY = "federal_secretary"
    CHAIR = "chair"
    ADMINISTRATOR = "administrator"
    SYSTEM = "system"


FEDERAL = "federal"
PROVINCES = (
    "punjab",
    "sindh",
    "khyber_pakhtunkhwa",
    "balochistan",
    "islamabad",
    "gilgit_baltistan",
    "azad_kashmir",
)
_DISTRICT = re.compile(r"[a-z][a-z0-9_]*")


def jurisdiction_problem(value: str) -> str | None:
    """Why `value` is not a jurisdiction, or None when it is one.

    A jurisdiction is `federal`, a province (`punjab`) or a district inside a
    province (`punjab/lahore`).
    """
    if value == FEDERAL:
        return None
    province, _, district = value.partition("/")
    if province not in PROVINCES:
        allowed = ", ".join((FEDERAL, *PROVINCES))
        return f"unknown jurisdiction {value!r}; use one of {allowed}, or PROVINCE/district"
    if "/" in value and not _DISTRICT.fullmatch(district):
        return (
            f"district in {value!r} must be lower-case letters, digits and underscores"
            " (e.g. punjab/dera_ghazi_khan)"
        )
    return None


def province_of(jurisdiction: str) -> str:
    """The province a jurisdiction lies in (`federal` for federal items)."""
    return jurisdiction.partition("/")[0]


def covers(actor_jurisdiction: str, item_jurisdiction: str) -> bool:
    """Whether someone of `actor_jurisdiction` has authority over an item.

    Federal people cover everything; a province covers itself and its districts;
    a district covers only itself.
    """
    if actor_jurisdiction == FEDERAL:
        return True
    if item_jurisdiction == actor_jurisdiction:
        return True
    return item_jurisdiction.startswith(actor_jurisdiction + "/")


@dataclass(frozen=True)
class Actor:
    """Who asks for a transition."""

    email: str
    role: Role
    jurisdiction: str
    name: str = ""
    department: str = ""


SYSTEM_ACTOR = Actor(email="system", role=Role.SYSTEM, jurisdiction=FEDERAL, name="taskforce")
