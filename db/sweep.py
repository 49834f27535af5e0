"""The sweep: find every stalled commitment with set-based SQL and escalate each rung once.

Its cost follows the number of commitments already due (an index on status and
due time), not the number of commitments. Each batch of escalations and the
messages they cause commit together; the unique constraint on (commitment, stall
episode, level) makes a concurrent or repeated sweep a no-op for rungs already
recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Table, and_, false, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from db import acting, pausing, queries, rescheduling, rungs, time_limits, workflow
from db.engine import transaction
from db.models import Commitment, Escalation, OutboxMessage, Person
from states.actors import FEDERAL, Role, province_of
from states.calendar import PAKISTAN_TIME, WorkingCalendar, end_of_day, local_day
from states.catalogue import Catalogue
from states.definition import LadderLevel, Pipeline
from states.errors import DatabaseUnavailableError, StorageError, TaskforceError
from states.escalation import Candidate, Delivery, Item, deliveries, levels_to_escalate, recipients
from states.moments import accepted, sweep_may_record
from states.stalls import Stall, assess, due

BATCH_SIZE = 500
REMINDER = 0  # the level recorded for a reminder before the due time

# One unit of work: a transaction that commits, or (in a dry run) one rolled back.
Unit = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class Notice:
    """One escalation or reminder the sweep recorded."""

    key: str
    jurisdiction: str
    level: int
    role: str
    reason: str
    overdue_days: int
    recipients: tuple[str, ...]
    missing_role: str | None = None


@dataclass
class SweepReport:
    """What one sweep saw and did."""

    now: datetime
    # A dry run (a moment that has not come yet) reports what it would record and keeps nothing.
    dry_run: bool = False
    stalled: int = 0
    by_level: Counter[int] = field(default_factory=Counter)
    by_jurisdiction: Counter[str] = field(default_factory=Counter)
    escalations: list[Notice] = field(default_factory=list)
    reminders: list[Notice] = field(default_factory=list)
    completed_parents: list[str] = field(default_factory=list)
    lapsed: list[str] = field(default_factory=list)
    acted_at_time_limit: list[str] = field(default_factory=list)
    """Items on which the system took their stage's action once its time limit passed
    (e.g. assent deemed given, Article 116(3))."""
    skipped_conflicts: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    """Paused items whose pause reached the day it was given: their clocks run again."""
    rescheduled: list[str] = field(default_factory=list)
    """Items whose due time a changed working calendar moved (db/rescheduling.py)."""

    @property
    def missing_recipients(self) -> list[Notice]:
        return [n for n in self.escalations + self.reminders if n.missing_role]

    def as_dict(self) -> dict[str, Any]:
        def notice(n: Notice) -> dict[str, Any]:
            return {
                "key": n.key,
                "jurisdiction": n.jurisdiction,
                "level": n.level,
                "role": n.role,
                "reason": n.reason,
                "overdue_working_days": n.overdue_days,
                "recipients": list(n.recipients),
                "missing_role": n.missing_role,
            }

        return {
            "now": self.now.isoformat(),
            "dry_run": self.dry_run,
            "stalled": self.stalled,
            "by_level": {str(k): v for k, v in sorted(self.by_level.items())},
            "by_jurisdiction": dict(sorted(self.by_jurisdiction.items())),
            "escalations": [notice(n) for n in self.escalations],
            "reminders": [notice(n) for n in self.reminders],
            "missing_recipients": [notice(n) for n in self.missing_recipients],
            "completed_parents": self.completed_parents,
            "lapsed": self.lapsed,
            "acted_at_time_limit": self.acted_at_time_limit,
            "skipped_conflicts": self.skipped_conflicts,
            "resumed": self.resumed,
            "rescheduled": self.rescheduled,
        }


def run_sweep(
    sessions: sessionmaker[Session],
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    *,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    simulated: bool = False,
    present: datetime | None = None,
) -> SweepReport:
    """Roll up, lapse, escalate and remind as of `now`; safe to run twice or at once.

    A `now` that has not come yet (by the clock, or `present`) gives a dry run:
    the same work in transactions that are rolled back, so the report says what
    would be recorded and the real sweep later still records it. Only a simulation
    on its own database (the demo, tests) passes `simulated` to record at any moment.
    """
    now = accepted(now)
    record = sweep_may_record(now, present=present or datetime.now(UTC), simulated=simulated)
    report = SweepReport(now=now, dry_run=not record)
    today = local_day(now)

    def unit() -> AbstractContextManager[Session]:
        return transaction(sessions) if record else _rolled_back(sessions)

    # First, so every item is judged on due times counted by the calendar in force.
    applied = rescheduling.apply_calendar(unit, catalogue, calendar, now=now, batch_size=batch_size)
    report.rescheduled = applied.rescheduled
    _resume_ended_pauses(unit, catalogue, calendar, report, now=now, today=today)
    _automatic_transitions(unit, catalogue, calendar, report, now=now, today=today)
    with unit() as session:
        people = _candidates(session)
        stalled_ids = _stalled_ids(session, now=now, today=today)
    for chunk in batched(stalled_ids, batch_size):
        with unit() as session:
            _escalate(session, catalogue, calendar, people, chunk, report, now=now)
    with unit() as session:
        soon_ids = _due_soon_ids(session, catalogue, calendar, now=now, today=today)
    for chunk in batched(soon_ids, batch_size):
        with unit() as session:
            _remind(session, catalogue, calendar, people, chunk, report, now=now, today=today)
    return report


@contextmanager
def _rolled_back(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction that is always rolled back: a dry run's work, kept by nobody."""
    with sessions() as session:
        try:
            with session.begin():
                yield session
                raise _DryRun
        except _DryRun:
            pass


class _DryRun(Exception):
    """Raised inside a dry run's transaction to roll it back."""


def batched(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    """`ids` in lists of at most `size`, so one transaction never grows without bound."""
    iterator = iter(ids)
    while chunk := list(islice(iterator, size)):
        yield chunk


def stalled_ids_query(now: datetime, today: date) -> Any:
    """Open, due, not exempt and not snoozed: the set the sweep works on."""
    return (
        select(Commitment.id)
        .where(
            Commitment.status == "open",
            Commitment.due_at <= now,
            Commitment.exempt == false(),
            or_(Commitment.snoozed_until.is_(None), Commitment.snoozed_until < today),
        )
        .order_by(Commitment.id)
    )


def _stalled_ids(session: Session, *, now: datetime, today: date) -> list[int]:
    return list(session.scalars(stalled_ids_query(now, today)))


def _resume_ended_pauses(
    unit: Unit,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    report: SweepReport,
    *,
    now: datetime,
    today: date,
) -> None:
    """First, so an item whose pause has ended is judged on its moved clocks at once."""
    with unit() as session:
        keys = pausing.ended(session, today=today)

    def resume(session: Session, key: str) -> list[str]:
        pausing.resume(session, catalogue, calendar, key=key, actor_email=None, now=now)
        return [key]

    for key in keys:
        report.resumed += _system(unit, report, lambda s, k=key: resume(s, k))


def _automatic_transitions(
    unit: Unit,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    report: SweepReport,
    *,
    now: datetime,
    today: date,
) -> None:
    roll_up = sorted({p.key for p in catalogue.all() if p.on_children_done})
    lapse = sorted({p.key for p in catalogue.all() if p.on_deadline})
    with unit() as session:
        parents = queries.parents_with_every_child_ended(session, roll_up)
        overdue = queries.open_past_deadline(session, lapse, today=today)
    for parent_id in parents:
        report.completed_parents += _system(
            unit,
            report,
            lambda s, i=parent_id: workflow.complete_parent(
                s, catalogue, i, now=now, calendar=calendar
            ),
        )
    for commitment_id in overdue:
        moved = _system(
            unit,
            report,
            lambda s, i=commitment_id: workflow.lapse_at_deadline(
                s, catalogue, i, today=today, now=now, calendar=calendar
            ),
        )
        if moved:
            report.lapsed.append(moved[0])
            report.completed_parents += moved[1:]
    with unit() as session:
        past_limit = time_limits.past_time_limit(session, catalogue, now=now)
    for commitment_id in past_limit:
        moved = _system(
            unit,
            report,
            lambda s, i=commitment_id: time_limits.act_at_time_limit(
                s, catalogue, i, now=now, calendar=calendar
            ),
        )
        if moved:
            report.acted_at_time_limit.append(moved[0])
            report.completed_parents += moved[1:]


def _system(unit: Unit, report: SweepReport, move: Any) -> list[str]:
    """One automatic move in its own transaction; a refusal is reported, not fatal to the sweep.

    A lost database or a refused write is not a refusal of the move: it ends the sweep.
    """
    try:
        with unit() as session:
            return list(move(session))
    except (DatabaseUnavailableError, StorageError):
        raise
    except TaskforceError as error:
        report.skipped_conflicts.append(error.message)
        return []


def _candidates(session: Session) -> list[Candidate]:
    rows = session.scalars(select(Person).where(Person.active.is_(True)))
    return [
        Candidate(
            email=p.email,
            name=p.name,
            role=Role(p.role),
            jurisdiction=p.jurisdiction,
            department=p.department,
            language=p.language,
        )
        for p in rows
    ]


def _item(commitment: Commitment) -> Item:
    return Item(
        key=commitment.key,
        jurisdiction=commitment.jurisdiction,
        department=commitment.department,
        officer_email=commitment.officer.email if commitment.officer else None,
    )


def _recorded_levels(session: Session, ids: Sequence[int]) -> dict[int, set[int]]:
    """The rungs each commitment's current stall episode has already reached."""
    rows = session.execute(
        select(Escalation.commitment_id, Escalation.level)
        .join(
            Commitment,
            and_(
                Commitment.id == Escalation.commitment_id,
                Commitment.stage_seq == Escalation.stage_seq,
            ),
        )
        .where(Escalation.commitment_id.in_(ids))
    )
    recorded: dict[int, set[int]] = {}
    for commitment_id, level in rows:
        recorded.setdefault(commitment_id, set()).add(level)
    return recorded


def _load(session: Session, ids: Sequence[int]) -> Iterator[Commitment]:
    yield from session.scalars(
        select(Commitment).where(Commitment.id.in_(ids)).order_by(Commitment.id)
    )


def _escalate(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    people: Sequence[Candidate],
    ids: Sequence[int],
    report: SweepReport,
    *,
    now: datetime,
) -> None:
    recorded = _recorded_levels(session, ids)
    commitments = list(_load(session, ids))
    children = _open_children(session, [c.id for c in commitments])
    batch = _Batch()
    for commitment in commitments:
        pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
        stall = assess(
            pipeline,
            workflow.state_of(commitment),
            deadline=commitment.deadline,
            now=now,
            calendar=calendar,
        )
        if stall is None:
            continue
        report.stalled += 1
        report.by_level[stall.level.level if stall.level else 0] += 1
        report.by_jurisdiction[province_of(commitment.jurisdiction)] += 1
        open_children = children.get(commitment.id, [])
        reason = _reason(stall, open_children)
        levels = levels_to_escalate(pipeline, stall.level, recorded.get(commitment.id, set()))
        found = deliveries(pipeline, levels, _item(commitment), people)
        snapshot = _snapshot(commitment, pipeline, open_children) if found else {}
        for delivery in found:
            batch.add(
                commitment,
                pipeline,
                delivery,
                reason=reason,
                due_at=stall.due.at,
                overdue=stall.overdue_days,
                now=now,
                snapshot=snapshot,
            )
    report.escalations += batch.record(session)


def _reason(stall: Stall, open_children: Sequence[str]) -> str:
    if stall.due.reason == "deadline" and open_children:
        return "children_open"
    return str(stall.due.reason)


def _open_children(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    """The keys of each commitment's open children, in key order: one query for a batch.

    The status is checked here rather than in SQL: with it in the WHERE clause,
    SQLite preferred the (status, due_at) index and read every open commitment.
    """
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    rows = session.execute(
        select(Commitment.parent_id, Commitment.key, Commitment.status)
        .where(Commitment.parent_id.in_(ids))
        .order_by(Commitment.parent_id, Commitment.key)
    )
    for parent_id, key, status in rows:
        if parent_id is not None and status == "open":
            found.setdefault(parent_id, []).append(key)
    return found


@dataclass
class _Batch:
    """The escalations (and reminders) one batch records, inserted together at its end.

    Each escalation is still inserted once at most, by the unique constraint: the
    insert skips rungs already recorded (`ON CONFLICT DO NOTHING`) and returns only
    the rows it added, and only those get their outbox messages and notices. One
    multi-row statement per table replaces two statements per escalation.
    """

    escalations: list[dict[str, Any]] = field(default_factory=list)
    messages: list[list[dict[str, Any]]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    def add(
        self,
        commitment: Commitment,
        pipeline: Pipeline,
        delivery: Delivery,
        *,
        reason: str,
        due_at: datetime,
        overdue: int,
        now: datetime,
        snapshot: dict[str, Any],
    ) -> None:
        level = delivery.level
        emails = tuple(p.email for p in delivery.recipients)
        missing = str(delivery.missing.notify) if delivery.missing else None
        self.escalations.append(
            {
                "commitment_id": commitment.id,
                "stage_seq": commitment.stage_seq,
                "level": level.level,
                "role": str(level.notify),
                "reason": reason,
                "due_at": due_at,
                "overdue_days": overdue,
                "recipients": list(emails),
                "missing_role": missing,
                "snapshot": snapshot,
                "created_at": now,
            }
        )
        subject = _subject(
            commitment, pipeline, level, reason=reason, overdue=overdue, due_at=due_at
        )
        self.messages.append(
            [
                {
                    "kind": "reminder" if level.level == REMINDER else "escalation",
                    "recipient_email": person.email,
                    "recipient_name": person.name,
                    "language": person.language,
                    "subject": subject,
                    "payload": {
                        "commitment": commitment.key,
                        "level": level.level,
                        "role": str(level.notify),
                        "reason": reason,
                        "overdue_working_days": overdue,
                        "due_at": due_at.isoformat(),
                        "missing_role": missing,
                    },
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                    "next_attempt_at": now,
                }
                for person in delivery.recipients
            ]
        )
        self.notices.append(
            Notice(
                key=commitment.key,
                jurisdiction=commitment.jurisdiction,
                level=level.level,
                role=str(level.notify),
                reason=reason,
                overdue_days=overdue,
                recipients=emails,
                missing_role=missing,
            )
        )

    def record(self, session: Session) -> list[Notice]:
        """Insert what no other sweep recorded first; the notices of what this one inserted."""
        if not self.escalations:
            return []
        insert = _insert_for(session)
        table = _ESCALATIONS
        inserted = {
            (commitment_id, stage_seq, level): escalation_id
            for escalation_id, commitment_id, stage_seq, level in session.execute(
                insert(table)
                .on_conflict_do_nothing(index_elements=["commitment_id", "stage_seq", "level"])
                .returning(table.c.id, table.c.commitment_id, table.c.stage_seq, table.c.level),
                self.escalations,
            )
        }
        rungs.record_recipients(
            session,
            (
                (row["commitment_id"], row["stage_seq"], row["level"], row["recipients"])
                for row in self.escalations
                if (row["commitment_id"], row["stage_seq"], row["level"]) in inserted
            ),
        )
        rungs.refresh(session, {c for c, _, level in inserted if level > 0})
        messages: list[dict[str, Any]] = []
        notices: list[Notice] = []
        for row, addressed, notice in zip(
            self.escalations, self.messages, self.notices, strict=True
        ):
            escalation_id = inserted.get((row["commitment_id"], row["stage_seq"], row["level"]))
            if escalation_id is None:
                continue
            messages += [{**message, "escalation_id": escalation_id} for message in addressed]
            notices.append(notice)
        # Whoever holds a recipient's acting charge gets a copy of their mail.
        messages += acting.copies(session, messages)
        if messages:
            session.execute(
                insert(_OUTBOX).on_conflict_do_nothing(
                    index_elements=["escalation_id", "recipient_email"]
                ),
                messages,
            )
        return notices


_ESCALATIONS: Table = Escalation.__table__  # type: ignore[assignment]
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]


def _insert_for(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _snapshot(
    commitment: Commitment, pipeline: Pipeline, open_children: Sequence[str]
) -> dict[str, Any]:
    """The commitment as it stood when escalated, so the record outlives later moves."""
    return {
        "key": commitment.key,
        "title": commitment.title,
        "title_ur": commitment.title_ur,
        "pipeline": commitment.pipeline_key,
        "pipeline_version": commitment.pipeline_version,
        "stage": commitment.stage,
        "stage_title": pipeline.stage(commitment.stage).title.en,
        "stage_entered_at": commitment.stage_entered_at.isoformat(),
        "deadline": commitment.deadline.isoformat() if commitment.deadline else None,
        "jurisdiction": commitment.jurisdiction,
        "department": commitment.department,
        "officer": commitment.officer.email if commitment.officer else None,
        "fields": dict(commitment.fields),
        "version": commitment.version,
        "open_children": list(open_children),
    }


def _subject(
    commitment: Commitment,
    pipeline: Pipeline,
    level: LadderLevel,
    *,
    reason: str,
    overdue: int,
    due_at: datetime,
) -> str:
    stage = pipeline.stage(commitment.stage).title
    if level.level == REMINDER:
        day = (due_at.astimezone(PAKISTAN_TIME) - timedelta(microseconds=1)).date()
        return f"Reminder: {commitment.key} ({stage}) is due on {day:%-d %B %Y}"
    why = {"deadline": "is past its deadline", "children_open": "is held up by its children"}.get(
        reason, f"has been in {stage} past its time limit"
    )
    text = f"Escalation level {level.level}: {commitment.key} {why} ({overdue} working days)"
    return " ".join(text.split())[:300]


def _due_soon_ids(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    *,
    now: datetime,
    today: date,
) -> list[int]:
    """Open commitments that may fall due within the longest reminder window (by index).

    A reminder goes out when at most `reminder_days_before` working days are left,
    so nothing due after the end of the (longest + 1)-th working day from today can
    need one; that day is taken where it comes latest (the jurisdictions with extra
    closed days). A window in calendar days had to allow for weekends and holidays
    and took in three weeks of commitments that were nowhere near due.
    """
    longest = max((p.reminder_days_before for p in catalogue.all()), default=0)
    if longest == 0:
        return []
    places = {FEDERAL} | {closed.jurisdiction for closed in calendar.closed_days}
    horizon = end_of_day(max(calendar.add_working_days(today, longest + 1, j) for j in places))
    return list(
        session.scalars(
            select(Commitment.id)
            .where(
                Commitment.status == "open",
                Commitment.due_at > now,
                Commitment.due_at <= horizon,
                Commitment.exempt == false(),
            )
            .order_by(Commitment.id)
        )
    )


def _remind(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    people: Sequence[Candidate],
    ids: Sequence[int],
    report: SweepReport,
    *,
    now: datetime,
    today: date,
) -> None:
    recorded = _recorded_levels(session, ids)
    commitments = list(_load(session, ids))
    children = _open_children(session, [c.id for c in commitments])
    batch = _Batch()
    for commitment in commitments:
        if REMINDER in recorded.get(commitment.id, set()):
            continue
        pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
        when = due(
            pipeline, workflow.state_of(commitment), deadline=commitment.deadline, calendar=calendar
        )
        if when is None or pipeline.reminder_days_before == 0:
            continue
        due_day = local_day(when.at - timedelta(microseconds=1))
        left = calendar.working_days_between(today, due_day, commitment.jurisdiction)
        if left > pipeline.reminder_days_before:
            continue
        # Level 0 is outside any ladder (levels count from 1), hence no validation here.
        rung = LadderLevel.model_construct(level=REMINDER, after=0, notify=Role.OFFICER)
        found = recipients(Role.OFFICER, _item(commitment), people)
        batch.add(
            commitment,
            pipeline,
            Delivery(level=rung, recipients=found, missing=None if found else rung),
            reason=str(when.reason),
            due_at=when.at,
            overdue=0,
            now=now,
            snapshot=_snapshot(commitment, pipeline, children.get(commitment.id, [])),
        )
    report.reminders += batch.record(session)
