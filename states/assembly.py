"""A provincial assembly dissolved, prorogued or summoned, and what that does to the bills
pending in it.

Under Article 117 of the Constitution a bill pending in a Provincial Assembly lapses when
the assembly is dissolved; the task force's decision does not: the system takes the
pipeline's `on_dissolution` action (for `provincial_bill`, to a stage where the bill
waits to be reintroduced, history kept). While an assembly is prorogued nothing pending
in it can move, so each such item's clocks stop, and start again when it is summoned.

Who records it: the chair, a federal secretary (the secretariat, for any province), or
the chief secretary of that province (whose office receives the Governor's order). They
stand above every item of the province, so the pauses are theirs too.

The order of events: an assembly sits until it is prorogued or dissolved; a prorogued one
is summoned again (or dissolved); a dissolved one is succeeded by a new assembly, summoned
after the elections. Each event is dated by the day it took effect, never a day to come
and never before the province's last recorded event. Pure: `now` is an argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from states.actors import FEDERAL, PROVINCES, Actor, Role, province_of
from states.calendar import local_day
from states.errors import AccessDeniedError, TaskforceError
from states.message import Listing, Message, place
from states.rules import Status

# Islamabad Capital Territory is governed federally: it has no assembly of its own.
WITHOUT_ASSEMBLY = frozenset({"islamabad"})
ASSEMBLIES = tuple(p for p in PROVINCES if p not in WITHOUT_ASSEMBLY)


class AssemblyEventKind(StrEnum):
    """What happened to an assembly."""

    DISSOLVED = "dissolved"
    PROROGUED = "prorogued"
    SUMMONED = "summoned"


class Standing(StrEnum):
    """Where an assembly stands after its last recorded event."""

    SITTING = "sitting"
    PROROGUED = "prorogued"
    DISSOLVED = "dissolved"


class AssemblyRefusedError(TaskforceError):
    """The assembly event cannot be recorded as asked."""

    exit_code = 2


class NotAnAssemblyError(TaskforceError):
    """The place named has no provincial assembly."""

    exit_code = 1


# The event as a sentence names it; a page looks each up in its language.
_EVENT = {
    AssemblyEventKind.DISSOLVED: Message("dissolution"),
    AssemblyEventKind.PROROGUED: Message("prorogation"),
    AssemblyEventKind.SUMMONED: Message("summoning"),
}


def event_term(kind: AssemblyEventKind) -> Message:
    """The event named in a sentence: dissolution, prorogation, summoning."""
    return _EVENT[kind]


@dataclass(frozen=True)
class Recorded:
    """An assembly event already recorded for a province."""

    kind: AssemblyEventKind
    on: date
    seq: int
    at: datetime
    """When it was recorded: the pauses a prorogation made began then."""


def assembly_province(value: str) -> str:
    """The province whose assembly `value` names (normalized), or why it names none."""
    province = value.strip().lower()
    if "/" in province and province_of(province) in ASSEMBLIES:
        raise NotAnAssemblyError(
            Message(
                "{place} is a district; its bills are pending in the assembly of {province}",
                place=place(province),
                province=place(province_of(province)),
            )
        )
    if province not in ASSEMBLIES:
        raise NotAnAssemblyError(
            Message(
                "{place} has no provincial assembly; name one of {provinces}",
                place=place(province or FEDERAL),
                provinces=Listing(place(p) for p in ASSEMBLIES),
            )
        )
    return province


def require_recorder(actor: Actor, province: str, kind: AssemblyEventKind) -> None:
    """Refuse unless `actor` is the chair, a federal secretary or the province's chief
    secretary."""
    if actor.role in (Role.CHAIR, Role.FEDERAL_SECRETARY) or (
        actor.role is Role.CHIEF_SECRETARY and actor.jurisdiction == province
    ):
        return
    raise AccessDeniedError(
        Message(
            "Can't record the {event} of the assembly of {province}: {email} is {role} for"
            " {own}; the chair, a federal secretary or the chief secretary of {province}"
            " records it",
            event=event_term(kind),
            province=place(province),
            email=actor.email,
            role=actor.role,
            own=place(actor.jurisdiction),
        )
    )


def standing(last: Recorded | None) -> Standing:
    """Where the assembly stands after `last` (an assembly with no event recorded sits)."""
    if last is None or last.kind is AssemblyEventKind.SUMMONED:
        return Standing.SITTING
    return Standing(last.kind.value)


def check(
    kind: AssemblyEventKind,
    province: str,
    *,
    on: date,
    last: Recorded | None,
    now: datetime,
) -> int:
    """Refuse an event out of order or dated wrongly; else the event's place in the
    province's sequence."""
    said = {"event": event_term(kind), "province": place(province), "on": on.isoformat()}
    today = local_day(now)
    if on > today:
        raise AssemblyRefusedError(
            Message(
                "Can't record the {event} of the assembly of {province} on {on}: that day has"
                " not come yet (today is {today}); record it once it has taken effect",
                today=today.isoformat(),
                **said,
            )
        )
    if last is not None and on < last.on:
        raise AssemblyRefusedError(
            Message(
                "Can't record the {event} of the assembly of {province} on {on}: its last"
                " recorded event, the {last} on {last_on}, came after that day",
                last=event_term(last.kind),
                last_on=last.on.isoformat(),
                **said,
            )
        )
    now_standing = standing(last)
    since = last.on.isoformat() if last is not None else ""
    if now_standing is Standing.DISSOLVED and kind is not AssemblyEventKind.SUMMONED:
        raise AssemblyRefusedError(
            Message(
                "Can't record the {event} of the assembly of {province} on {on}: it was"
                " dissolved on {since}; a new assembly is summoned first",
                since=since,
                **said,
            )
        )
    if now_standing is Standing.PROROGUED and kind is AssemblyEventKind.PROROGUED:
        raise AssemblyRefusedError(
            Message(
                "Can't record the {event} of the assembly of {province} on {on}: it is"
                " prorogued already, since {since}",
                since=since,
                **said,
            )
        )
    if now_standing is Standing.SITTING and kind is AssemblyEventKind.SUMMONED:
        raise AssemblyRefusedError(
            Message(
                "Can't record the {event} of the assembly of {province} on {on}: it is"
                " sitting; only a prorogued or dissolved assembly is summoned",
                **said,
            )
        )
    return last.seq + 1 if last is not None else 1


@dataclass(frozen=True)
class Item:
    """What the rules need to know of an open commitment of the province."""

    key: str
    jurisdiction: str
    status: Status
    in_assembly: bool
    """Whether its stage is pending in the assembly (`assembly: true`)."""
    on_dissolution: str | None
    """Its pipeline's action on dissolution, None when it declares none."""
    paused_at: datetime | None
    paused_by_prorogation: bool = False
    """Paused by the prorogation the assembly stands in (its pause began when it was recorded)."""


def pending_in(item: Item, province: str) -> bool:
    """Whether `item` is open and pending in the assembly of `province`."""
    return (
        item.status is Status.OPEN
        and province_of(item.jurisdiction) == province
        and item.in_assembly
    )


class Effect(StrEnum):
    """What an event does to one commitment."""

    MOVE = "move"
    PAUSE = "pause"
    RESUME = "resume"
    LEAVE = "leave"


@dataclass(frozen=True)
class Step:
    """One commitment's part in an event: the effect, the action moved by, or why left."""

    key: str
    effect: Effect
    action: str | None = None
    why: Message | None = None


def plan(kind: AssemblyEventKind, province: str, items: Sequence[Item]) -> tuple[Step, ...]:
    """What the event does to each of `items`, in order; a commitment may take two steps
    (dissolving a prorogued assembly first ends the pauses its prorogation made)."""
    steps: list[Step] = []
    for item in sorted(items, key=lambda i: i.key):
        if item.status is not Status.OPEN:
            steps.append(Step(item.key, Effect.LEAVE, why=Message("{key} has ended", key=item.key)))
            continue
        if kind is AssemblyEventKind.SUMMONED or (
            kind is AssemblyEventKind.DISSOLVED and item.paused_by_prorogation
        ):
            steps.append(_resumed(item))
        if kind is AssemblyEventKind.DISSOLVED and pending_in(item, province):
            steps.append(_dissolved(item))
        elif kind is AssemblyEventKind.PROROGUED and pending_in(item, province):
            steps.append(_prorogued(item))
    return tuple(steps)


def _resumed(item: Item) -> Step:
    if item.paused_by_prorogation:
        return Step(item.key, Effect.RESUME)
    return Step(
        item.key,
        Effect.LEAVE,
        why=Message(
            "{key} is no longer paused by the prorogation (resumed, or paused again since)",
            key=item.key,
        ),
    )


def _dissolved(item: Item) -> Step:
    if item.on_dissolution is None:
        return Step(
            item.key,
            Effect.LEAVE,
            why=Message(
                "{key} is left as it is: its pipeline declares no action on dissolution",
                key=item.key,
            ),
        )
    return Step(item.key, Effect.MOVE, action=item.on_dissolution)


def _prorogued(item: Item) -> Step:
    if item.paused_at is not None:
        return Step(
            item.key,
            Effect.LEAVE,
            why=Message("{key} is left as it is: it was paused already", key=item.key),
        )
    return Step(item.key, Effect.PAUSE)
