"""Running commitments moved to another version of their pipeline, or back, in one transaction.

Part of the workflow service: like an advance, each move checks and bumps the
commitment's version (a concurrent writer makes it fail, not lose an update),
sets its stage and due time, and appends its event. The stall episode
(`stage_seq`) stays, so escalations already sent for the stage it stands in stay
with it, and its clock keeps running from when it entered the stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import workflow
from db.latest import is_latest, latest_seqs
from db.models import Commitment, Event
from states.actors import Actor
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.pipeline_migration import (
    Migrated,
    Move,
    Plan,
    Running,
    mapping_of,
    migration_event,
    move_of,
    plan_migration,
    plan_rollback,
    require_migrator,
)
from states.rules import EventKind

# The events that put a commitment at a stage: the latest tells whether a move between
# versions is still where it stands.
_PLACING = (
    EventKind.CREATED,
    EventKind.LOADED,
    EventKind.TRANSITION,
    EventKind.MIGRATED,
    EventKind.SUPERSEDED,
)


def migrate(
    session: Session,
    catalogue: Catalogue,
    key: str,
    *,
    to_version: int,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    dry_run: bool = False,
) -> Plan:
    """Move every running commitment of pipeline `key` to `to_version`, from the version it
    maps from; with `dry_run`, only say what would move."""
    require_migrator(actor)
    new = catalogue.get(key, to_version)
    old = catalogue.get(key, mapping_of(new).version)
    running = _running(session, key, old.version)
    plan = plan_migration(old, new, [Running(c.key, c.stage) for c in running])
    if not dry_run:
        _apply(session, catalogue, plan, running, actor=actor, now=now, calendar=calendar)
    return plan


def roll_back(
    session: Session,
    catalogue: Catalogue,
    key: str,
    *,
    from_version: int,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    dry_run: bool = False,
) -> Plan:
    """Return the running commitments of `key` that a migration brought to `from_version`
    to the version and stage they came from; those moved on since stay."""
    require_migrator(actor)
    new = catalogue.get(key, from_version)
    running = _running(session, key, from_version)
    latest = _latest_moves(session, [c.id for c in running])
    items = [Migrated(c.key, c.stage, latest.get(c.id)) for c in running]
    plan = plan_rollback(new, items)
    if not dry_run:
        _apply(
            session, catalogue, plan, running, actor=actor, now=now, calendar=calendar, back=True
        )
    return plan


def _running(session: Session, key: str, version: int) -> list[Commitment]:
    return list(
        session.scalars(
            select(Commitment)
            .where(
                Commitment.pipeline_key == key,
                Commitment.pipeline_version == version,
                Commitment.status == "open",
            )
            .order_by(Commitment.key)
            .with_for_update(of=Commitment)
        )
    )


def _apply(
    session: Session,
    catalogue: Catalogue,
    plan: Plan,
    running: Sequence[Commitment],
    *,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    back: bool = False,
) -> None:
    by_key = {c.key: c for c in running}
    target = catalogue.get(plan.pipeline, plan.to_version)
    next_seq = _next_seqs(session, [by_key[m.key].id for m in plan.moves])
    for move in plan.moves:
        commitment = by_key[move.key]
        commitment.pipeline_version = move.to_version
        commitment.stage = move.to_stage
        commitment.due_at = workflow.due_at_of(target, commitment, calendar)
        event = migration_event(move, actor=actor, now=now, rollback=back)
        workflow.append_event(session, commitment, event, seq=next_seq[commitment.id])
    # One flush: every commitment's version is checked and bumped, every event inserted.
    with workflow.refusals(plan.pipeline):
        session.flush()


def _next_seqs(session: Session, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(Event.commitment_id, func.max(Event.seq))
        .where(Event.commitment_id.in_(list(ids)))
        .group_by(Event.commitment_id)
    )
    found = {commitment_id: int(seq) + 1 for commitment_id, seq in rows}
    return {i: found.get(i, 1) for i in ids}


def _latest_moves(session: Session, ids: Sequence[int]) -> dict[int, Move]:
    """For each commitment whose latest placing event is a move between versions, that move."""
    if not ids:
        return {}
    kinds = [str(kind) for kind in _PLACING]
    latest = latest_seqs(Event.commitment_id.in_(list(ids)), Event.kind.in_(kinds))
    rows = session.scalars(select(Event).join(latest, is_latest(latest)))
    found = {}
    for row in rows:
        move = move_of(row.kind, row.from_stage, row.to_stage, row.fields)
        if move is not None:
            found[row.commitment_id] = move
    return found
