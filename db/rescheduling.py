"""A changed working calendar applied to the open items: part of the workflow service.

The calendar's fingerprint (states/rescheduling.py) is kept once applied; while the
calendar file is unchanged, applying it again is one query. When it changed, every
open item that is not paused is looked at in batches of `batch_size` (by id, one
transaction each) and only those whose due time actually moves are written: the due
time, the version (a form opened before is refused, as after any change) and a
`rescheduled` event in the history. Running it twice changes nothing the second
time. An item changed by someone else meanwhile is left for the next run, which is
why the fingerprint is recorded only once every item took the new calendar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Commitment, Event, InstanceSecret
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.rescheduling import Rescheduled, fingerprint, reschedule
from states.rules import CommitmentState, Status

BATCH_SIZE = 500
# Where the fingerprint of the calendar last applied is kept (one row, beside the secrets).
APPLIED = "calendar_applied"

# One unit of work: a transaction that commits (or, in a dry run, is rolled back).
Unit = Callable[[], AbstractContextManager[Session]]


@dataclass
class CalendarApplied:
    """What applying the calendar did."""

    fingerprint: str
    changed: bool
    """False when this calendar was applied already: nothing was looked at."""
    rescheduled: list[str] = field(default_factory=list)
    """The items whose due time moved, each with a `rescheduled` event."""
    skipped: list[str] = field(default_factory=list)
    """Items changed by someone else meanwhile: the next run tries them again."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "changed": self.changed,
            "rescheduled": self.rescheduled,
            "skipped": self.skipped,
        }


def applied_fingerprint(session: Session) -> str | None:
    """The fingerprint of the calendar last applied, or None if none ever was."""
    return session.scalar(select(InstanceSecret.value).where(InstanceSecret.name == APPLIED))


def apply_calendar(
    unit: Unit,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    *,
    now: datetime,
    batch_size: int = BATCH_SIZE,
) -> CalendarApplied:
    """Move the due times of open items to what `calendar` says, if it changed since last."""
    wanted = fingerprint(calendar)
    with unit() as session:
        if applied_fingerprint(session) == wanted:
            return CalendarApplied(fingerprint=wanted, changed=False)
    report = CalendarApplied(fingerprint=wanted, changed=True)
    after = 0
    while True:
        with unit() as session:
            rows = session.execute(_OPEN_AFTER, {"after": after, "limit": batch_size}).all()
            if not rows:
                break
            after = rows[-1].id
            _apply_batch(session, catalogue, calendar, rows, report, now=now)
    if not report.skipped:
        with unit() as session:
            _record(session, wanted, now=now)
    return report


_COMMITMENTS: Table = Commitment.__table__  # type: ignore[assignment]
_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_C = _COMMITMENTS.c
# Open items with running clocks, by id: a keyset, so each batch is one index range.
_OPEN_AFTER = (
    select(
        _C.id,
        _C.key,
        _C.pipeline_key,
        _C.pipeline_version,
        _C.jurisdiction,
        _C.department,
        _C.stage,
        _C.stage_entered_at,
        _C.deadline,
        _C.due_at,
        _C.stage_paused_seconds,
        _C.deadline_paused_seconds,
        _C.version,
    )
    .where(
        _C.status == Status.OPEN.value,
        _C.paused_at.is_(None),
        _C.id > bindparam("after"),
    )
    .order_by(_C.id)
    .limit(bindparam("limit"))
)
_MOVE_DUE = (
    update(_COMMITMENTS)
    .where(_C.id == bindparam("id_"), _C.version == bindparam("version_"))
    .values(due_at=bindparam("due_at_", type_=_C.due_at.type), version=bindparam("next_"))
)
_NEXT_SEQS = (
    select(_EVENTS.c.commitment_id, func.max(_EVENTS.c.seq))
    .where(_EVENTS.c.commitment_id.in_(bindparam("ids", expanding=True)))
    .group_by(_EVENTS.c.commitment_id)
)


def _state(row: Row[Any]) -> CommitmentState:
    return CommitmentState(
        key=row.key,
        pipeline=row.pipeline_key,
        pipeline_version=row.pipeline_version,
        jurisdiction=row.jurisdiction,
        stage=row.stage,
        status=Status.OPEN,
        stage_entered_at=row.stage_entered_at,
        department=row.department,
        stage_paused=timedelta(seconds=row.stage_paused_seconds or 0),
        deadline_paused=timedelta(seconds=row.deadline_paused_seconds or 0),
    )


def _apply_batch(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    rows: Sequence[Any],
    report: CalendarApplied,
    *,
    now: datetime,
) -> None:
    moved: list[tuple[Row[Any], Rescheduled]] = []
    for row in rows:
        pipeline = catalogue.get(row.pipeline_key, row.pipeline_version)
        found = reschedule(
            pipeline,
            _state(row),
            deadline=row.deadline,
            stored_due=row.due_at,
            calendar=calendar,
            now=now,
        )
        if found is not None:
            moved.append((row, found))
    if not moved:
        return
    connection = session.connection()
    last = dict(connection.execute(_NEXT_SEQS, {"ids": [row.id for row, _ in moved]}).all())
    events: list[dict[str, Any]] = []
    for row, found in moved:
        params = {
            "id_": row.id,
            "version_": row.version,
            "due_at_": found.due_at,
            "next_": row.version + 1,
        }
        if connection.execute(_MOVE_DUE, params).rowcount != 1:
            report.skipped.append(row.key)  # moved meanwhile; its mover's due time stands
            continue
        event = found.event
        events.append(
            {
                "commitment_id": row.id,
                "seq": int(last.get(row.id, 0)) + 1,
                "kind": event.kind.value,
                "at": event.at,
                "effective_at": event.at,
                "actor_email": event.actor_email,
                "actor_role": event.actor_role.value,
                "action": None,
                "from_stage": None,
                "to_stage": event.to_stage,
                "fields": dict(event.fields),
                "comment": None,
            }
        )
        report.rescheduled.append(row.key)
    if events:
        connection.execute(insert(_EVENTS), events)


def _record(session: Session, wanted: str, *, now: datetime) -> None:
    """Keep `wanted` as the calendar applied (two runs at once: the same value either way)."""
    dialect = session.get_bind().dialect.name
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert_(InstanceSecret).values(name=APPLIED, value=wanted, created_at=now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"value": statement.excluded.value, "created_at": statement.excluded.created_at},
        )
    )
