"""Assembly events recorded and applied to the bills pending there: part of the workflow
service.

One event, one transaction (the caller's): the event's row, then every move, pause and
resume it causes. The row goes first, so an event recorded twice (the constraints of
`assembly_events`) or out of order fails before anything moves; any failure later
leaves nothing behind either, the caller's transaction being rolled back.

The clocks of a commitment paused by a prorogation stop when the prorogation is
recorded (its pause begins at the event's `at`), and that instant is how the summoning,
or a dissolution of the prorogued assembly, knows the pause as the prorogation's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db import pausing, people, queries, workflow
from db.models import AssemblyEvent, Commitment
from states import assembly
from states.assembly import AssemblyEventKind, Effect, Item, Recorded, Step
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.errors import ConflictError
from states.message import Message, place
from states.rules import Status


@dataclass(frozen=True)
class Moved:
    """A commitment the system moved because its assembly was dissolved."""

    key: str
    from_stage: str
    to_stage: str


@dataclass(frozen=True)
class Left:
    """A commitment the event reached but left as it was, and why."""

    key: str
    why: str


@dataclass(frozen=True)
class Applied:
    """What an assembly event did (or, on a dry run, would do)."""

    province: str
    kind: AssemblyEventKind
    on: date
    seq: int
    reason: str | None
    dry_run: bool
    moved: tuple[Moved, ...] = ()
    paused: tuple[str, ...] = ()
    resumed: tuple[str, ...] = ()
    left: tuple[Left, ...] = ()

    def record(self) -> dict[str, Any]:
        """As JSON: the CLI's --json, and the event row's `outcome`."""
        return {
            "province": self.province,
            "kind": self.kind.value,
            "on": self.on.isoformat(),
            "seq": self.seq,
            "reason": self.reason,
            "dry_run": self.dry_run,
            "moved": [
                {"key": m.key, "from_stage": m.from_stage, "to_stage": m.to_stage}
                for m in self.moved
            ],
            "paused": list(self.paused),
            "resumed": list(self.resumed),
            "left": [{"key": item.key, "why": item.why} for item in self.left],
        }


def record(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    *,
    province: str,
    kind: AssemblyEventKind,
    on: date,
    actor_email: str,
    reason: str | None,
    now: datetime,
    dry_run: bool = False,
) -> Applied:
    """Record that the assembly of `province` was dissolved, prorogued or summoned on `on`,
    as `actor_email`, and apply it to every commitment it reaches; with `dry_run`, check it
    and say what it would do, changing nothing."""
    province = assembly.assembly_province(province)
    actor = people.actor_for(people.by_email(session, actor_email))
    assembly.require_recorder(actor, province, kind)
    said = (reason or "").strip() or None
    last = _last(session, province)
    seq = assembly.check(kind, province, on=on, last=last, now=now)
    prorogation = last if assembly.standing(last) is assembly.Standing.PROROGUED else None
    commitments = _reached(session, kind, province, prorogation)
    items = [_item(catalogue, c, prorogation) for c in commitments]
    steps = assembly.plan(kind, province, items)
    by_key = {c.key: c for c in commitments}
    if dry_run:
        return _applied(province, kind, on, seq, said, steps, by_key, catalogue, dry_run=True)
    row = AssemblyEvent(
        province=province,
        seq=seq,
        kind=kind.value,
        effective_on=on,
        reason=said,
        actor_email=actor.email,
        actor_role=actor.role.value,
        at=now,
        outcome={},
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as error:
        raise ConflictError(
            Message(
                "The {event} of the assembly of {province} on {on} is recorded already, or"
                " another event was recorded for it meanwhile; nothing was changed",
                event=assembly.event_term(kind),
                province=place(province),
                on=on.isoformat(),
            )
        ) from error
    applied = _applied(province, kind, on, seq, said, steps, by_key, catalogue, dry_run=False)
    for step in steps:
        _take(session, catalogue, calendar, step, row, actor_email=actor.email, now=now)
    row.outcome = applied.record()
    session.flush()
    return applied


def events(session: Session, province: str | None = None) -> list[AssemblyEvent]:
    """The assembly events recorded, of one province or all, in the order they happened."""
    query = select(AssemblyEvent).order_by(AssemblyEvent.province, AssemblyEvent.seq)
    if province is not None:
        query = query.where(AssemblyEvent.province == assembly.assembly_province(province))
    return list(session.scalars(query))


def _last(session: Session, province: str) -> Recorded | None:
    row = session.scalar(
        select(AssemblyEvent)
        .where(AssemblyEvent.province == province)
        .order_by(AssemblyEvent.seq.desc())
        .limit(1)
    )
    if row is None:
        return None
    return Recorded(kind=AssemblyEventKind(row.kind), on=row.effective_on, seq=row.seq, at=row.at)


def _reached(
    session: Session,
    kind: AssemblyEventKind,
    province: str,
    prorogation: Recorded | None,
) -> list[Commitment]:
    """The commitments the event may reach, locked: for a summoning, those the standing
    prorogation paused; otherwise the open ones of the province and its districts (the
    rules pick those pending in the assembly), and those the prorogation paused."""
    paused_by = (
        set(_paused_by(session, province, prorogation.seq)) if prorogation is not None else set()
    )
    query = select(Commitment).with_for_update(of=Commitment).order_by(Commitment.key)
    if kind is AssemblyEventKind.SUMMONED:
        query = query.where(Commitment.key.in_(paused_by))
    else:
        query = query.where(
            Commitment.status == Status.OPEN.value,
            or_(
                Commitment.jurisdiction == province,
                Commitment.jurisdiction.startswith(province + "/", autoescape=True),
                Commitment.key.in_(paused_by),
            ),
        )
    return list(session.scalars(query))


def _paused_by(session: Session, province: str, seq: int) -> Sequence[str]:
    outcome = session.scalar(
        select(AssemblyEvent.outcome).where(
            AssemblyEvent.province == province, AssemblyEvent.seq == seq
        )
    )
    return [str(key) for key in (outcome or {}).get("paused", [])]


def _item(catalogue: Catalogue, commitment: Commitment, prorogation: Recorded | None) -> Item:
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    return Item(
        key=commitment.key,
        jurisdiction=commitment.jurisdiction,
        status=Status(commitment.status),
        in_assembly=pipeline.stage(commitment.stage).assembly,
        on_dissolution=pipeline.on_dissolution,
        paused_at=commitment.paused_at,
        paused_by_prorogation=prorogation is not None
        and commitment.paused_at is not None
        and commitment.paused_at == prorogation.at,
    )


def _applied(
    province: str,
    kind: AssemblyEventKind,
    on: date,
    seq: int,
    reason: str | None,
    steps: Sequence[Step],
    by_key: dict[str, Commitment],
    catalogue: Catalogue,
    *,
    dry_run: bool,
) -> Applied:
    moved = []
    for step in steps:
        if step.effect is Effect.MOVE and step.action is not None:
            commitment = by_key[step.key]
            pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
            # Validation makes the action open from every assembly stage to a stage outside.
            target = next(
                t.to for t in pipeline.transitions_from(commitment.stage) if t.action == step.action
            )
            moved.append(Moved(step.key, commitment.stage, target))
    return Applied(
        province=province,
        kind=kind,
        on=on,
        seq=seq,
        reason=reason,
        dry_run=dry_run,
        moved=tuple(moved),
        paused=tuple(s.key for s in steps if s.effect is Effect.PAUSE),
        resumed=tuple(s.key for s in steps if s.effect is Effect.RESUME),
        left=tuple(Left(s.key, s.why or "") for s in steps if s.effect is Effect.LEAVE),
    )


def _take(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    step: Step,
    row: AssemblyEvent,
    *,
    actor_email: str,
    now: datetime,
) -> None:
    """One step of the event: the system's move, or a pause or resume by whoever recorded it."""
    cited = f"the assembly of {row.province} was {row.kind} on {row.effective_on:%-d %B %Y}"
    if row.reason:
        cited += f" ({row.reason})"
    if step.effect is Effect.MOVE and step.action is not None:
        commitment = queries.get_commitment(session, step.key)
        workflow.take_system_action(
            session,
            catalogue,
            commitment,
            step.action,
            f"Article 117: a bill pending in the assembly lapses on its dissolution; {cited}",
            now=now,
            calendar=calendar,
        )
    elif step.effect is Effect.PAUSE:
        pausing.pause(
            session,
            key=step.key,
            actor_email=actor_email,
            reason=f"Pending in the assembly, which stands prorogued: {cited}",
            until=None,
            now=now,
        )
    elif step.effect is Effect.RESUME:
        pausing.resume(session, catalogue, calendar, key=step.key, actor_email=actor_email, now=now)
