"""Moving running commitments to a newer version of their pipeline, and back.

A commitment keeps the version it started on, so a changed procedure never changes
the meaning of a decision under way. When the secretariat does want the running
ones on the new procedure, the new version says where each stage of the earlier
one goes (`migrates_from`); a stage it does not list keeps its key. Every running
commitment must land on a stage still running in the new version, or none moves.
Each move is an event in the commitment's history; the clock of the stage it
stands in keeps running from when it entered it, and escalations already sent stay.

A move is undone by moving back: a commitment whose latest move was the move to
the new version returns to the version and stage it came from; one that has moved
on since stays, and is named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from states.actors import FEDERAL, Actor, Role
from states.definition import Pipeline, StageMapping
from states.errors import AccessDeniedError, TaskforceError
from states.rules import Event, EventKind

FROM_VERSION = "from_version"
TO_VERSION = "to_version"
ROLLED_BACK = "rolled_back"


class MigrationRefusedError(TaskforceError):
    """The running commitments cannot move to that version."""

    exit_code = 2


@dataclass(frozen=True)
class Running:
    """A running commitment as a migration sees it."""

    key: str
    stage: str


@dataclass(frozen=True)
class Move:
    """One commitment moved from a version and stage to another."""

    key: str
    from_version: int
    from_stage: str
    to_version: int
    to_stage: str


@dataclass(frozen=True)
class Migrated:
    """A running commitment, and the move between versions that put it where it stands
    (None: it started on its version, or has moved on since it came to it)."""

    key: str
    stage: str
    last_move: Move | None


@dataclass(frozen=True)
class Plan:
    """The moves a migration (or its undoing) makes, and who stays where they are."""

    pipeline: str
    from_version: int
    to_version: int
    moves: tuple[Move, ...]
    staying: tuple[Running, ...] = ()


def require_migrator(actor: Actor) -> None:
    """Only the secretariat (a federal secretary) or the chair moves commitments between
    versions: it changes the procedure of every province's items at once."""
    if actor.role is Role.CHAIR or (
        actor.role in (Role.SECRETARY, Role.FEDERAL_SECRETARY) and actor.jurisdiction == FEDERAL
    ):
        return
    raise AccessDeniedError(
        f"{actor.email} is {actor.role} for {actor.jurisdiction}: only a federal secretary"
        " or the chair moves running commitments to another version of their pipeline"
    )


def mapping_of(new: Pipeline) -> StageMapping:
    """The stage mapping `new` declares from an earlier version, or a refusal saying how to
    declare one."""
    if new.migrates_from is None:
        raise MigrationRefusedError(
            f"pipeline {new.key!r} version {new.version} says from no earlier version how its"
            " running commitments move: its file needs `migrates_from:` with the earlier"
            " `version:` and, for stages whose key changed, `stages:`"
        )
    return new.migrates_from


def plan_migration(old: Pipeline, new: Pipeline, running: Sequence[Running]) -> Plan:
    """The move of each of `running` (on `old`) to `new`, by the mapping `new` declares."""
    mapping = mapping_of(new)
    if mapping.version != old.version:
        raise MigrationRefusedError(
            f"pipeline {new.key!r} version {new.version} says how commitments move from"
            f" version {mapping.version}, not from version {old.version}: its file needs"
            f" `migrates_from:` with `version: {old.version}` and, for stages whose key"
            " changed, `stages:`"
        )
    moves = []
    stranded = []
    for item in running:
        target = mapping.stages.get(item.stage, item.stage)
        if new.has_stage(target) and not new.stage(target).terminal:
            moves.append(Move(item.key, old.version, item.stage, new.version, target))
        else:
            stranded.append(f"{item.key} (at {item.stage!r})")
    if stranded:
        raise MigrationRefusedError(
            f"nothing moved: {len(stranded)} running commitments of {old.key!r} version"
            f" {old.version} would land on no running stage of version {new.version}:"
            f" {_some(stranded)}; map those stages in version {new.version}'s `migrates_from`"
        )
    return Plan(new.key, old.version, new.version, tuple(moves))


def plan_rollback(new: Pipeline, items: Sequence[Migrated]) -> Plan:
    """The moves back of `items` (running on `new`) to where their latest move took them from.

    Those that have moved on since, or that started on `new`, stay where they are.
    """
    moves = []
    staying = []
    versions = set()
    for item in items:
        last = item.last_move
        if last is None or last.to_version != new.version:
            staying.append(Running(item.key, item.stage))
            continue
        versions.add(last.from_version)
        moves.append(Move(item.key, new.version, item.stage, last.from_version, last.from_stage))
    if len(versions) > 1:
        raise MigrationRefusedError(
            f"the running commitments of {new.key!r} version {new.version} came from versions"
            f" {', '.join(map(str, sorted(versions)))}; undo one move at a time"
        )
    back_to = versions.pop() if versions else new.version
    return Plan(new.key, new.version, back_to, tuple(moves), tuple(staying))


def migration_event(move: Move, *, actor: Actor, now: datetime, rollback: bool) -> Event:
    """The history's entry for one move between versions."""
    fields = {FROM_VERSION: str(move.from_version), TO_VERSION: str(move.to_version)}
    if rollback:
        fields[ROLLED_BACK] = "yes"
    return Event(
        kind=EventKind.MIGRATED,
        at=now,
        actor_email=actor.email,
        actor_role=actor.role,
        action=None,
        from_stage=move.from_stage,
        to_stage=move.to_stage,
        fields=fields,
        comment=None,
    )


def move_of(
    kind: str, from_stage: str | None, to_stage: str, fields: Mapping[str, str]
) -> Move | None:
    """The move between versions an event of the history records, if it records one."""
    if kind != EventKind.MIGRATED or from_stage is None:
        return None
    return Move(
        key="",
        from_version=int(fields[FROM_VERSION]),
        from_stage=from_stage,
        to_version=int(fields[TO_VERSION]),
        to_stage=to_stage,
    )


def _some(items: Sequence[str], shown: int = 10) -> str:
    listed = ", ".join(items[:shown])
    return listed if len(items) <= shown else f"{listed} and {len(items) - shown} more"
