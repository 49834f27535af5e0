"""The working paper's data: one row per decision, its children under it, read in a few queries.

Every row says where a decision stands (stage, status, working days left or
overdue), its latest remark, how many files back it, what changed since the
previous meeting (or a given day) and at which later meetings it was restated.
The renderers (`notifications/working_paper.py`) only lay these values out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from db import workflow
from db.digest import in_scope
from db.evidence import latest_notes
from db.models import Commitment, CommitmentMeeting, Event, EventEvidence, Meeting
from states import stalls
from states.actors import FEDERAL, jurisdiction_problem
from states.calendar import WorkingCalendar, end_of_day, local_day
from states.catalogue import Catalogue
from states.errors import NotFoundError, TaskforceError
from states.localtext import LocalText
from states.rules import EventKind

# What the "changed since" column counts besides moves and remarks, in this order.
NOTED_KINDS = (
    EventKind.REASSIGNED,
    EventKind.AMENDED,
    EventKind.ACKNOWLEDGED,
    EventKind.SNOOZED,
    EventKind.EXEMPTED,
)


@dataclass(frozen=True)
class MeetingRef:
    """A meeting as the paper names it."""

    key: str
    title: str
    held_on: date
    title_ur: str | None = None

    @property
    def local_title(self) -> LocalText:
        """The title in English and, when the meeting file gave one, in Urdu."""
        return LocalText(en=self.title, ur=self.title_ur or None)


@dataclass(frozen=True)
class Changes:
    """What happened to a decision since the paper's cut-off day.

    `stages` is the path moved along (where it was, then each stage entered),
    empty when it did not move; `other` counts the other kinds of event.
    """

    stages: tuple[LocalText, ...] = ()
    remarks: int = 0
    other: tuple[tuple[str, int], ...] = ()

    @property
    def any(self) -> bool:
        """True when anything at all happened."""
        return bool(self.stages or self.remarks or self.other)


@dataclass(frozen=True)
class MatrixRow:
    """One decision (depth 0) or one of its province or district rows (depth 1, 2...)."""

    key: str
    title: LocalText
    depth: int
    parent_key: str | None
    agenda_item: str
    meeting_key: str | None
    jurisdiction: str
    department: str
    officer_name: str | None
    officer_email: str | None
    stage: str
    stage_title: LocalText
    status: str
    deadline: date | None
    due_at: datetime | None
    working_days_left: int | None
    """Working days until it is due; None when closed, overdue or never due."""
    overdue_working_days: int | None
    """Working days past its due time; None unless it is overdue."""
    latest_remark: str | None
    evidence_count: int
    changes: Changes
    reiterated_at: tuple[MeetingRef, ...]


@dataclass(frozen=True)
class Matrix:
    """The working paper's rows, and what they were chosen by."""

    rows: tuple[MatrixRow, ...]
    scope: str
    meeting: MeetingRef | None
    since: date | None
    made_at: datetime


def scope_problem(scope: str) -> str | None:
    """Why `scope` cannot be a working paper's scope, or None: federal, a province or a district."""
    problem = jurisdiction_problem(scope)
    return f"scope: {problem}" if problem else None


def build(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    *,
    now: datetime,
    scope: str = FEDERAL,
    meeting: str | None = None,
    since: date | None = None,
) -> Matrix:
    """The working paper as of `now`: decisions in `scope` (a province includes its districts),
    those of `meeting` only when given; changes counted from `since`, by default the day of
    the latest meeting held by `now`."""
    problem = scope_problem(scope)
    if problem:
        raise TaskforceError(problem)
    chosen = _meeting(session, meeting) if meeting else None
    if since is None:
        latest = session.scalars(
            select(Meeting)
            .where(Meeting.held_on <= local_day(now))
            .order_by(Meeting.held_on.desc(), Meeting.id.desc())
            .limit(1)
        ).first()
        since = latest.held_on if latest else None

    where: ColumnElement[bool] = in_scope(scope)
    if chosen is not None:
        restated = select(CommitmentMeeting.commitment_id).join(
            Meeting, Meeting.id == CommitmentMeeting.meeting_id
        )
        where = and_(
            where,
            (Commitment.meeting.has(Meeting.key == chosen.key))
            | Commitment.id.in_(restated.where(Meeting.key == chosen.key)),
        )
    items = list(session.scalars(select(Commitment).where(where)).unique())
    ids = [item.id for item in items]
    notes = latest_notes(session, ids)
    evidence = _evidence_counts(session, where)
    restatements = _restatements(session, where)
    changes = _changes(session, catalogue, where, since) if since else {}

    by_id = {item.id: item for item in items}
    children: dict[int | None, list[Commitment]] = defaultdict(list)
    for item in items:
        parent = item.parent_id if item.parent_id in by_id else None
        children[parent].append(item)
    for group in children.values():
        group.sort(key=lambda c: (_agenda_order(c.agenda_item), c.key))

    rows: list[MatrixRow] = []

    def add(item: Commitment, depth: int) -> None:
        note = notes.get(item.id)
        rows.append(
            _row(
                item,
                depth=depth,
                parent_key=by_id[item.parent_id].key if item.parent_id in by_id else None,
                catalogue=catalogue,
                calendar=calendar,
                now=now,
                remark=(" ".join((note.comment or "").split()) or None) if note else None,
                evidence=evidence.get(item.id, 0),
                changes=changes.get(item.id, Changes()),
                restated=restatements.get(item.id, ()),
            )
        )
        for child in children.get(item.id, ()):
            add(child, depth + 1)

    for top in children[None]:
        add(top, 0)
    return Matrix(rows=tuple(rows), scope=scope, meeting=chosen, since=since, made_at=now)


def _meeting(session: Session, key: str) -> MeetingRef:
    found = session.scalars(select(Meeting).where(Meeting.key == key)).first()
    if found is None:
        known = ", ".join(session.scalars(select(Meeting.key).order_by(Meeting.held_on))) or "none"
        raise NotFoundError(f"no meeting {key!r}; known meetings: {known}")
    return MeetingRef(
        key=found.key, title=found.title, held_on=found.held_on, title_ur=found.title_ur
    )


def _row(
    item: Commitment,
    *,
    depth: int,
    parent_key: str | None,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    now: datetime,
    remark: str | None,
    evidence: int,
    changes: Changes,
    restated: tuple[MeetingRef, ...],
) -> MatrixRow:
    pipeline = catalogue.get(item.pipeline_key, item.pipeline_version)
    due = stalls.due(pipeline, workflow.state_of(item), deadline=item.deadline, calendar=calendar)
    left: int | None = None
    overdue: int | None = None
    if due is not None:
        if now >= due.at:
            overdue = calendar.overdue_working_days(due.at, now, item.jurisdiction)
        else:
            # The due time ends a day: count the working days up to that day.
            last_day = local_day(due.at - timedelta(microseconds=1))
            left = calendar.working_days_between(local_day(now), last_day, item.jurisdiction)
    return MatrixRow(
        key=item.key,
        title=item.local_title,
        depth=depth,
        parent_key=parent_key,
        agenda_item=item.agenda_item or "",
        meeting_key=item.meeting.key if item.meeting else None,
        jurisdiction=item.jurisdiction,
        department=item.department,
        officer_name=item.officer.name if item.officer else None,
        officer_email=item.officer.email if item.officer else None,
        stage=item.stage,
        stage_title=pipeline.stage(item.stage).title,
        status=item.status,
        deadline=item.deadline,
        due_at=due.at if due else None,
        working_days_left=left,
        overdue_working_days=overdue,
        latest_remark=remark,
        evidence_count=evidence,
        changes=changes,
        reiterated_at=restated,
    )


def _evidence_counts(session: Session, where: ColumnElement[bool]) -> dict[int, int]:
    rows = session.execute(
        select(Event.commitment_id, func.count())
        .select_from(EventEvidence)
        .join(Event, Event.id == EventEvidence.event_id)
        .join(Commitment, Commitment.id == Event.commitment_id)
        .where(where)
        .group_by(Event.commitment_id)
    )
    return {commitment_id: count for commitment_id, count in rows}


def _restatements(
    session: Session, where: ColumnElement[bool]
) -> dict[int, tuple[MeetingRef, ...]]:
    rows = session.execute(
        select(
            CommitmentMeeting.commitment_id,
            Meeting.key,
            Meeting.title,
            Meeting.held_on,
            Meeting.title_ur,
        )
        .join(Meeting, Meeting.id == CommitmentMeeting.meeting_id)
        .join(Commitment, Commitment.id == CommitmentMeeting.commitment_id)
        .where(where)
        .order_by(Meeting.held_on, Meeting.key)
    )
    found: dict[int, list[MeetingRef]] = defaultdict(list)
    for commitment_id, key, title, held_on, title_ur in rows:
        found[commitment_id].append(
            MeetingRef(key=key, title=title, held_on=held_on, title_ur=title_ur)
        )
    return {commitment_id: tuple(refs) for commitment_id, refs in found.items()}


def _changes(
    session: Session, catalogue: Catalogue, where: ColumnElement[bool], since: date
) -> dict[int, Changes]:
    """Events that took effect on or after `since` (a Pakistan day), summed up per decision."""
    start = end_of_day(since - timedelta(days=1))
    kinds = [EventKind.TRANSITION.value, EventKind.NOTE.value, *(k.value for k in NOTED_KINDS)]
    rows = session.execute(
        select(
            Event.commitment_id,
            Event.kind,
            Event.from_stage,
            Event.to_stage,
            Commitment.pipeline_key,
            Commitment.pipeline_version,
        )
        .join(Commitment, Commitment.id == Event.commitment_id)
        .where(where, Event.effective_at >= start, Event.kind.in_(kinds))
        .order_by(Event.commitment_id, Event.seq)
    )
    stages: dict[int, list[LocalText]] = defaultdict(list)
    remarks: dict[int, int] = defaultdict(int)
    other: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for commitment_id, kind, from_stage, to_stage, key, version in rows:
        if kind == EventKind.TRANSITION.value:
            pipeline = catalogue.get(key, version)
            path = stages[commitment_id]
            if not path and from_stage:
                path.append(pipeline.stage(from_stage).title)
            path.append(pipeline.stage(to_stage).title)
        elif kind == EventKind.NOTE.value:
            remarks[commitment_id] += 1
        else:
            other[commitment_id][kind] += 1
    result: dict[int, Changes] = {}
    for commitment_id in {*stages, *remarks, *other}:
        counted = other.get(commitment_id, {})
        result[commitment_id] = Changes(
            stages=tuple(stages.get(commitment_id, ())),
            remarks=remarks.get(commitment_id, 0),
            other=tuple(
                (kind.value, counted[kind.value]) for kind in NOTED_KINDS if kind.value in counted
            ),
        )
    return result


def _agenda_order(value: str | None) -> tuple[int, str]:
    """Agenda items in the order of the paper: '2' before '10', '3(a)' after '3'."""
    found = re.match(r"\d+", value or "")
    return (int(found.group()) if found else 1_000_000, value or "")
