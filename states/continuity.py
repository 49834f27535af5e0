"""Continuity across meetings: what a later meeting's restatement of a decision changes.

Pure. A later meeting file may list a commitment already loaded (the same key): the
decision was reiterated there, and the file may amend its deadline or officer.
Loading the same file again finds everything already so and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from states.actors import SYSTEM_ACTOR, Role
from states.rules import CommitmentState, Event, EventKind, Status

# What a restatement may change, in the order it is recorded.
AMENDABLE = ("deadline", "officer")


@dataclass(frozen=True)
class Restatement:
    """What a meeting's restatement does to a commitment: the events to record."""

    reiterated: bool
    amended: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.reiterated or bool(self.amended)


def restatement(
    state: CommitmentState,
    *,
    meeting: str,
    origin: str | None,
    linked: frozenset[str],
    current: Mapping[str, str | None],
    stated: Mapping[str, str | None],
) -> Restatement:
    """What restating `state` at `meeting` changes.

    `origin` is the meeting that made the decision and `linked` those that restated it
    already: neither reiterates it again. `current` and `stated` hold the amendable
    values (ISO dates, emails) as stored and as the file gives them; a value the file
    leaves out (None) is not an amendment, and a closed commitment is not amended.
    The file that made the decision is its statement, not an amendment of it.
    """
    if meeting == origin:
        return Restatement(reiterated=False)
    amended = {
        name: (current.get(name), stated[name])
        for name in AMENDABLE
        if stated.get(name) is not None and stated[name] != current.get(name)
    }
    if state.status is not Status.OPEN:
        amended = {}
    return Restatement(reiterated=meeting not in linked, amended=amended)


def events(
    state: CommitmentState, change: Restatement, *, meeting: str, title: str, now: datetime
) -> list[Event]:
    """The `reiterated` and `amended` events of a restatement, by the system, the meeting
    as their source (its key in the fields)."""
    made: list[Event] = []

    def event(kind: EventKind, fields: dict[str, str], comment: str) -> Event:
        return Event(
            kind=kind,
            at=now,
            actor_email=SYSTEM_ACTOR.email,
            actor_role=Role.SYSTEM,
            action=None,
            from_stage=state.stage,
            to_stage=state.stage,
            fields=fields,
            comment=comment,
        )

    if change.reiterated:
        made.append(event(EventKind.REITERATED, {"meeting": meeting}, f"restated at {title}"))
    for name, (old, new) in change.amended.items():
        made.append(
            event(
                EventKind.AMENDED,
                {"meeting": meeting, "changed": name, "from": old or "", "to": new or ""},
                f"{name} changed from {old or 'none'} to {new} at {title}",
            )
        )
    return made


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
