"""Digests: every stalled commitment in a reader's scope, and what changed since their last one.

The chair reads the federal digest (everything); each chief secretary reads the
digest of their province (the province and its districts). Building one takes a
fixed handful of set-based queries whatever the number of stalled items: the
overdue set comes from the (status, due_at) index, the escalations of the current
stall episodes from one join, the completed items from one more. Recorded
digests are kept, so the next one for the same reader and scope can say what is
new, what was resolved and what worsened since.

Query functions take the session and never commit; the caller owns the transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.orm import Session

from db import waiting
from db.latest import is_latest, latest_seqs
from db.models import Commitment, Digest, Escalation, Event, OutboxMessage, Person
from states import waiting as waiting_rule
from states.actors import FEDERAL, PROVINCES, Role, province_of
from states.calendar import WorkingCalendar, local_day
from states.catalogue import Catalogue
from states.definition import Pipeline
from states.errors import TaskforceError
from states.localtext import Bilingual, LocalText, local
from states.rules import CommitmentState, EventKind, Status
from states.stalls import assess

# Without an earlier digest to compare with, "completed since" looks back a week.
FIRST_LOOK_BACK = timedelta(days=7)
DIGEST_KIND = "digest"
CONTENT_FORMAT: Final = 1


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WaitingPerson(_Value):
    """Someone who may take an item's next step, as the digest names them."""

    name: str
    email: str
    role: str


class DigestItem(_Value):
    """One overdue commitment as the digest shows it."""

    key: str
    title: Bilingual
    pipeline: str
    jurisdiction: str
    province: str
    department: str
    stage: str
    stage_title: Bilingual
    episode: int  # the stage_seq of the stall: a new stage is a new stall
    reason: str  # stage_limit or deadline
    due_at: datetime
    overdue_days: int  # working days
    level: int | None  # the ladder rung its overdue days have reached
    notify: str | None  # the role that rung goes to
    escalated_level: int | None  # the highest rung actually escalated in this episode
    officer_name: str | None
    officer_email: str | None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    snoozed_until: date | None = None  # set only while the snooze holds
    exempt: bool = False
    latest_remark: str | None = None  # the latest remark's text, cut short ("" for files only)
    latest_remark_by: str | None = None
    latest_remark_at: datetime | None = None
    waiting_on: tuple[WaitingPerson, ...] = ()  # most expected first (states.waiting)


class PausedItem(_Value):
    """An open commitment whose clocks stand still: listed apart, never as overdue."""

    key: str
    title: Bilingual
    jurisdiction: str
    province: str
    department: str
    stage_title: Bilingual
    paused_at: datetime
    paused_until: date | None  # the last day of the pause; None until someone resumes it
    reason: str  # as given when it was paused


class DepartmentGroup(_Value):
    """The stalled items of one department within a province, most overdue first."""

    department: str
    items: tuple[DigestItem, ...]


class ProvinceGroup(_Value):
    """The stalled items of one province (with its districts), by department."""

    province: str
    count: int
    departments: tuple[DepartmentGroup, ...]

    def items(self) -> Iterator[DigestItem]:
        for department in self.departments:
            yield from department.items


class Worsened(_Value):
    """An item still stalled in the same stage that climbed the ladder since the last digest."""

    key: str
    before: int | None
    after: int | None


class Resolved(_Value):
    """An item the last digest listed that is no longer overdue where it stood."""

    key: str
    title: Bilingual
    jurisdiction: str
    province: str
    department: str
    stage_title: Bilingual  # where it was stalled
    level: int | None  # the rung it had reached then
    overdue_days: int
    status: str | None = None  # open, completed, withdrawn, lapsed; None if it is gone
    now_stage_title: Bilingual | None = None


class Changes(_Value):
    """What changed since the last digest for the same reader and scope."""

    previous_at: datetime
    new: tuple[str, ...]
    resolved: tuple[Resolved, ...]
    worsened: tuple[Worsened, ...]


class Completed(_Value):
    """A commitment completed since the last digest."""

    key: str
    title: Bilingual
    jurisdiction: str
    province: str
    department: str
    pipeline_title: Bilingual
    closed_at: datetime


class DigestContent(_Value):
    """A whole digest, as stored in `digests.content` (JSON) and given to the templates."""

    format: Literal[1] = CONTENT_FORMAT
    scope: str
    made_at: datetime
    previous_at: datetime | None  # the last digest compared with; None for the first one
    completed_since: datetime
    stalled: int  # items in `groups` (snoozed ones included)
    snoozed: int
    groups: tuple[ProvinceGroup, ...]
    exempt: tuple[DigestItem, ...]
    changes: Changes | None
    completed: tuple[Completed, ...]
    overdue_by_province: dict[str, int]  # stalled and exempt: everything past due
    stalled_by_department: dict[str, int]
    paused: tuple[PausedItem, ...] = ()  # by province, then key; digests made before have none

    def items(self) -> Iterator[DigestItem]:
        """The stalled items (not the exempt ones), province by province."""
        for group in self.groups:
            yield from group.items()

    def overdue(self) -> Iterator[DigestItem]:
        """Every item past due: the stalled, then the exempt."""
        yield from self.items()
        yield from self.exempt


@dataclass(frozen=True)
class Reader:
    """Someone who receives a digest, and its scope."""

    email: str
    name: str
    language: str
    scope: str


# -- pure parts ------------------------------------------------------------------------------


def scope_problem(scope: str) -> str | None:
    """Why `scope` cannot be a digest's scope, or None: `federal` or a province."""
    if scope == FEDERAL or scope in PROVINCES:
        return None
    return f"unknown digest scope {scope!r}; use federal or a province: {', '.join(PROVINCES)}"


def province_order(province: str) -> tuple[int, str]:
    """Federal first, then the provinces as the constitution lists them."""
    order = (FEDERAL, *PROVINCES)
    return (order.index(province), "") if province in order else (len(order), province)


def _most_overdue_first(item: DigestItem) -> tuple[int, str]:
    return (-item.overdue_days, item.key)


def group_items(items: Iterable[DigestItem]) -> tuple[ProvinceGroup, ...]:
    """Items by province, then department (alphabetical), most overdue first within each."""
    by_place: dict[str, dict[str, list[DigestItem]]] = {}
    for item in items:
        by_place.setdefault(item.province, {}).setdefault(item.department, []).append(item)
    groups = []
    for province in sorted(by_place, key=province_order):
        departments = tuple(
            DepartmentGroup(
                department=name,
                items=tuple(sorted(found, key=_most_overdue_first)),
            )
            for name, found in sorted(by_place[province].items())
        )
        count = sum(len(d.items) for d in departments)
        groups.append(ProvinceGroup(province=province, count=count, departments=departments))
    return tuple(groups)


def count_by_province(items: Iterable[DigestItem]) -> dict[str, int]:
    """How many items each province has, in province order (for the chart)."""
    counts = Counter(item.province for item in items)
    return {province: counts[province] for province in sorted(counts, key=province_order)}


def count_by_department(items: Iterable[DigestItem]) -> dict[str, int]:
    counts = Counter(item.department for item in items)
    return dict(sorted(counts.items()))


def compare(
    current: Iterable[DigestItem],
    previous: Iterable[DigestItem],
    *,
    previous_at: datetime,
    paused: Collection[str] = (),
) -> Changes:
    """New, resolved and worsened stalls between the last digest's items and these.

    A stall is a commitment in one stage (its episode): an item that moved on and
    stalled again in its next stage counts as resolved and as new. An item `paused`
    since is not resolved: its clocks stand still, and the digest lists it apart.
    """
    now = {(item.key, item.episode): item for item in current}
    before = {(item.key, item.episode): item for item in previous}
    new = tuple(sorted(key for key, _ in now.keys() - before.keys()))
    resolved = tuple(
        Resolved(
            key=item.key,
            title=item.title,
            jurisdiction=item.jurisdiction,
            province=item.province,
            department=item.department,
            stage_title=item.stage_title,
            level=item.level,
            overdue_days=item.overdue_days,
        )
        for ident, item in sorted(before.items())
        if ident not in now and item.key not in paused
    )
    worsened = tuple(
        Worsened(key=item.key, before=before[ident].level, after=item.level)
        for ident, item in sorted(now.items())
        if ident in before and (item.level or 0) > (before[ident].level or 0)
    )
    return Changes(previous_at=previous_at, new=new, resolved=resolved, worsened=worsened)


def subject(content: DigestContent) -> str:
    """The outbox row's label; the message's own subject is written by its template."""
    place = "" if content.scope == FEDERAL else f" ({content.scope.replace('_', ' ').title()})"
    day = local_day(content.made_at)
    return f"Stalled commitments{place}: {content.stalled} as of {day:%-d %B %Y}"


# -- queries ---------------------------------------------------------------------------------


def in_scope(scope: str) -> ColumnElement[bool]:
    """Commitments a reader of `scope` oversees: everything, or a province and its districts."""
    if scope == FEDERAL:
        return true()
    return or_(
        Commitment.jurisdiction == scope,
        Commitment.jurisdiction.startswith(scope + "/", autoescape=True),
    )


def _overdue_where(scope: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    # Open and due: served by the (status, due_at) index, like the sweep's query.
    return (Commitment.status == "open", Commitment.due_at <= now, in_scope(scope))


def overdue_query(scope: str, now: datetime) -> Select[*tuple[Any, ...]]:
    """Every open commitment in scope already past its due time, with its officer."""
    return (
        select(
            Commitment.id,
            Commitment.key,
            Commitment.title,
            Commitment.title_ur,
            Commitment.pipeline_key,
            Commitment.pipeline_version,
            Commitment.jurisdiction,
            Commitment.department,
            Commitment.stage,
            Commitment.stage_entered_at,
            Commitment.stage_seq,
            Commitment.deadline,
            Commitment.snoozed_until,
            Commitment.exempt,
            Person.name.label("officer_name"),
            Person.email.label("officer_email"),
        )
        .outerjoin(Person, Person.id == Commitment.officer_id)
        .where(*_overdue_where(scope, now))
    )


@dataclass
class _Rungs:
    highest: int | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None


def _escalated(session: Session, scope: str, now: datetime) -> dict[int, _Rungs]:
    """The rungs escalated in each overdue commitment's current stall episode, in one query."""
    rows = session.execute(
        select(
            Escalation.commitment_id,
            Escalation.level,
            Escalation.acknowledged_at,
            Escalation.acknowledged_by,
        )
        .join(
            Commitment,
            and_(
                Commitment.id == Escalation.commitment_id,
                Commitment.stage_seq == Escalation.stage_seq,
            ),
        )
        .where(Escalation.level > 0, *_overdue_where(scope, now))
    )
    found: dict[int, _Rungs] = {}
    for commitment_id, level, acknowledged_at, acknowledged_by in rows:
        rungs = found.setdefault(commitment_id, _Rungs())
        rungs.highest = max(rungs.highest or 0, level)
        if acknowledged_at is not None and (
            rungs.acknowledged_at is None or acknowledged_at > rungs.acknowledged_at
        ):
            rungs.acknowledged_at, rungs.acknowledged_by = acknowledged_at, acknowledged_by
    return found


REMARK_SHOWN = 200  # characters of the latest remark a digest line shows


def _latest_remarks(
    session: Session, scope: str, now: datetime
) -> dict[int, tuple[str, str, datetime]]:
    """The latest remark (text, who, when) of each overdue commitment that has one."""
    latest = latest_seqs(
        Event.kind == EventKind.NOTE.value, *_overdue_where(scope, now), with_commitment=True
    )
    rows = session.execute(
        select(Event.commitment_id, Event.comment, Event.actor_email, Event.at).join(
            latest, is_latest(latest)
        )
    )
    found: dict[int, tuple[str, str, datetime]] = {}
    for commitment_id, comment, actor, at in rows:
        words = " ".join((comment or "").split())
        if len(words) > REMARK_SHOWN:
            words = words[: REMARK_SHOWN - 1].rstrip() + "…"
        found[commitment_id] = (words, actor, at)  # no words: only files were attached
    return found


def _overdue_items(
    session: Session, catalogue: Catalogue, calendar: WorkingCalendar, *, scope: str, now: datetime
) -> list[DigestItem]:
    today = local_day(now)
    rungs = _escalated(session, scope, now)
    remarks = _latest_remarks(session, scope, now)
    people = waiting.holders(session)
    # Who must act depends on these alone: items that share them share the answer.
    waiting_for: dict[tuple[str, int, str, str, str, str | None], tuple[WaitingPerson, ...]] = {}
    pipelines: dict[tuple[str, int], Pipeline] = {}
    stage_titles: dict[tuple[str, int, str], LocalText] = {}
    items = []
    for row in session.execute(overdue_query(scope, now)):
        # Unpacked by position: ten thousand rows make attribute access show in the profile.
        (cid, key, title, title_ur, pkey, pversion, jurisdiction, department, stage, entered_at,
         seq, deadline, snoozed_until, exempt, officer_name, officer_email) = row  # fmt: skip
        pipeline = pipelines.get((pkey, pversion))
        if pipeline is None:
            pipeline = pipelines[(pkey, pversion)] = catalogue.get(pkey, pversion)
        state = CommitmentState(
            key=key,
            pipeline=pkey,
            pipeline_version=pversion,
            jurisdiction=jurisdiction,
            stage=stage,
            status=Status.OPEN,
            stage_entered_at=entered_at,
            department=department,
        )
        stall = assess(pipeline, state, deadline=deadline, now=now, calendar=calendar)
        if stall is None:  # due by the stored time but not by this calendar: not stalled
            continue
        if (pkey, pversion, stage) not in stage_titles:
            stage_titles[(pkey, pversion, stage)] = pipeline.stage(stage).title
        escalated = rungs.get(cid, _Rungs())
        remark, remark_by, remark_at = remarks.get(cid, (None, None, None))
        items.append(
            DigestItem(
                key=key,
                title=local(title, title_ur),
                pipeline=pkey,
                jurisdiction=jurisdiction,
                province=province_of(jurisdiction),
                department=department,
                stage=stage,
                stage_title=stage_titles[(pkey, pversion, stage)],
                episode=seq,
                reason=str(stall.due.reason),
                due_at=stall.due.at,
                overdue_days=stall.overdue_days,
                level=stall.level.level if stall.level else None,
                notify=str(stall.level.notify) if stall.level else None,
                escalated_level=escalated.highest,
                officer_name=officer_name,
                officer_email=officer_email,
                acknowledged_by=escalated.acknowledged_by,
                acknowledged_at=escalated.acknowledged_at,
                snoozed_until=snoozed_until
                if snoozed_until is not None and snoozed_until >= today
                else None,
                exempt=exempt,
                latest_remark=remark,
                latest_remark_by=remark_by,
                latest_remark_at=remark_at,
                waiting_on=_waiting_on(waiting_for, pipeline, state, people, officer_email),
            )
        )
    return items


def _waiting_on(
    known: dict[tuple[str, int, str, str, str, str | None], tuple[WaitingPerson, ...]],
    pipeline: Pipeline,
    state: CommitmentState,
    people: waiting_rule.People,
    officer_email: str | None,
) -> tuple[WaitingPerson, ...]:
    key = (
        state.pipeline,
        state.pipeline_version,
        state.stage,
        state.jurisdiction,
        state.department,
        officer_email,
    )
    found = known.get(key)
    if found is None:
        found = known[key] = tuple(
            WaitingPerson(name=p.name, email=p.email, role=p.role.value)
            for p in waiting_rule.waiting_on(pipeline, state, people, officer_email=officer_email)
        )
    return found


def _paused_items(session: Session, catalogue: Catalogue, *, scope: str) -> tuple[PausedItem, ...]:
    """The open commitments in scope whose clocks stand still, each with its pause's reason."""
    latest = latest_seqs(
        Event.kind == EventKind.PAUSED.value,
        Commitment.status == "open",
        Commitment.paused_at.is_not(None),
        in_scope(scope),
        with_commitment=True,
    )
    rows = session.execute(
        select(
            Commitment.key,
            Commitment.title,
            Commitment.title_ur,
            Commitment.pipeline_key,
            Commitment.pipeline_version,
            Commitment.jurisdiction,
            Commitment.department,
            Commitment.stage,
            Commitment.paused_at,
            Commitment.paused_until,
            Event.comment,
        )
        .join(latest, latest.c.commitment_id == Commitment.id)
        .join(Event, is_latest(latest))
        .order_by(Commitment.key)
    )
    found = [
        PausedItem(
            key=key,
            title=local(title, title_ur),
            jurisdiction=jurisdiction,
            province=province_of(jurisdiction),
            department=department,
            stage_title=catalogue.get(pkey, pversion).stage(stage).title,
            paused_at=paused_at,
            paused_until=paused_until,
            reason=comment or "",
        )
        for (
            key,
            title,
            title_ur,
            pkey,
            pversion,
            jurisdiction,
            department,
            stage,
            paused_at,
            paused_until,
            comment,
        ) in rows
    ]
    return tuple(sorted(found, key=lambda item: (province_order(item.province), item.key)))


def last_digest(
    session: Session, *, scope: str, recipient_email: str | None, before: datetime
) -> Digest | None:
    """The latest digest of `scope` made before `before`, for `recipient_email` (None: anyone's)."""
    query = select(Digest).where(Digest.scope == scope, Digest.created_at < before)
    if recipient_email is not None:
        query = query.where(Digest.recipient_email == recipient_email)
    return session.scalars(
        query.order_by(Digest.created_at.desc(), Digest.id.desc()).limit(1)
    ).first()


def _completed_since(
    session: Session, catalogue: Catalogue, *, scope: str, since: datetime, now: datetime
) -> tuple[Completed, ...]:
    rows = session.execute(
        select(
            Commitment.key,
            Commitment.title,
            Commitment.title_ur,
            Commitment.pipeline_key,
            Commitment.pipeline_version,
            Commitment.jurisdiction,
            Commitment.department,
            Commitment.closed_at,
        )
        .where(
            Commitment.status == "completed",
            Commitment.closed_at > since,
            Commitment.closed_at <= now,
            in_scope(scope),
        )
        .order_by(Commitment.closed_at, Commitment.key)
    )
    return tuple(
        Completed(
            key=key,
            title=local(title, title_ur),
            jurisdiction=jurisdiction,
            province=province_of(jurisdiction),
            department=department,
            pipeline_title=catalogue.get(pkey, pversion).title,
            closed_at=closed_at,
        )
        for key, title, title_ur, pkey, pversion, jurisdiction, department, closed_at in rows
    )


def _with_fates(session: Session, catalogue: Catalogue, changes: Changes) -> Changes:
    """Fill in where each resolved item stands now (batched, a few hundred keys a query)."""
    keys = [r.key for r in changes.resolved]
    fates: dict[str, tuple[str, LocalText]] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(
                Commitment.key,
                Commitment.status,
                Commitment.stage,
                Commitment.pipeline_key,
                Commitment.pipeline_version,
            ).where(Commitment.key.in_(keys[start : start + 500]))
        )
        for key, status, stage, pkey, pversion in rows:
            fates[key] = (status, catalogue.get(pkey, pversion).stage(stage).title)
    resolved = tuple(
        r.model_copy(update={"status": fates[r.key][0], "now_stage_title": fates[r.key][1]})
        if r.key in fates
        else r
        for r in changes.resolved
    )
    return changes.model_copy(update={"resolved": resolved})


def build_digest(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    *,
    scope: str,
    now: datetime,
    recipient_email: str | None = None,
) -> DigestContent:
    """The digest of `scope` as of `now`, compared with the last one recorded before `now`.

    The last one is the recipient's when `recipient_email` is given, else the latest
    of the scope for anyone (a preview). Nothing is written.
    """
    problem = scope_problem(scope)
    if problem:
        raise TaskforceError(problem)
    overdue = _overdue_items(session, catalogue, calendar, scope=scope, now=now)
    stalled = [item for item in overdue if not item.exempt]
    exempt = tuple(sorted((item for item in overdue if item.exempt), key=_most_overdue_first))
    paused = _paused_items(session, catalogue, scope=scope)
    previous = last_digest(session, scope=scope, recipient_email=recipient_email, before=now)
    changes = None
    if previous is not None:
        before = DigestContent.model_validate(previous.content)
        changes = _with_fates(
            session,
            catalogue,
            compare(
                overdue,
                before.overdue(),
                previous_at=previous.created_at,
                paused={item.key for item in paused},
            ),
        )
    since = previous.created_at if previous is not None else now - FIRST_LOOK_BACK
    return DigestContent(
        scope=scope,
        made_at=now,
        previous_at=previous.created_at if previous is not None else None,
        completed_since=since,
        stalled=len(stalled),
        snoozed=sum(1 for item in stalled if item.snoozed_until is not None),
        groups=group_items(stalled),
        exempt=exempt,
        changes=changes,
        completed=_completed_since(session, catalogue, scope=scope, since=since, now=now),
        overdue_by_province=count_by_province(overdue),
        stalled_by_department=count_by_department(stalled),
        paused=paused,
    )


def readers(session: Session, scopes: Collection[str] | None = None) -> list[Reader]:
    """Who receives a digest: the chair (federal) and each chief secretary (their province)."""
    rows = session.scalars(
        select(Person)
        .where(
            Person.active.is_(True),
            Person.role.in_([Role.CHAIR.value, Role.CHIEF_SECRETARY.value]),
        )
        .order_by(Person.email)
    )
    found = [
        Reader(
            email=p.email,
            name=p.name,
            language=p.language,
            scope=FEDERAL if p.role == Role.CHAIR else province_of(p.jurisdiction),
        )
        for p in rows
    ]
    found.sort(key=lambda r: (province_order(r.scope), r.email))
    return [r for r in found if scopes is None or r.scope in scopes]


def record_digests(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    *,
    now: datetime,
    scopes: Collection[str] | None = None,
) -> list[Digest]:
    """Build, store and queue each reader's digest as of `now`, in the caller's transaction.

    One digest row and one outbox message per reader. A reader who already has a
    digest made at `now` gets nothing more: replaying the same moment (a retried
    flow run) records nothing twice.
    """
    for scope in scopes or ():
        problem = scope_problem(scope)
        if problem:
            raise TaskforceError(problem)
    recorded = []
    for reader in readers(session, scopes):
        already = session.scalar(
            select(Digest.id).where(
                Digest.scope == reader.scope,
                Digest.recipient_email == reader.email,
                Digest.created_at == now,
            )
        )
        if already is not None:
            continue
        content = build_digest(
            session, catalogue, calendar, scope=reader.scope, now=now, recipient_email=reader.email
        )
        digest = Digest(
            scope=reader.scope,
            recipient_email=reader.email,
            created_at=now,
            since=content.previous_at,
            content=content.model_dump(mode="json"),
        )
        session.add(digest)
        session.flush()
        session.add(
            OutboxMessage(
                escalation_id=None,
                digest_id=digest.id,
                kind=DIGEST_KIND,
                recipient_email=reader.email,
                recipient_name=reader.name,
                language=reader.language,
                subject=subject(content)[:300],
                payload={"digest_id": digest.id},
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
        recorded.append(digest)
    session.flush()
    return recorded


def content_of(digest: Digest) -> DigestContent:
    """A stored digest's content, read back as the model."""
    return DigestContent.model_validate(digest.content)


def content_summary(content: DigestContent) -> dict[str, Any]:
    """A digest's content in a few numbers."""
    changes = content.changes
    return {
        "scope": content.scope,
        "made_at": content.made_at.isoformat(),
        "since": content.previous_at.isoformat() if content.previous_at else None,
        "stalled": content.stalled,
        "snoozed": content.snoozed,
        "exempt": len(content.exempt),
        "new": len(changes.new) if changes else None,
        "resolved": len(changes.resolved) if changes else None,
        "worsened": len(changes.worsened) if changes else None,
        "completed": len(content.completed),
        "paused": len(content.paused),
        "overdue_by_province": dict(content.overdue_by_province),
    }


def summary(digest: Digest) -> dict[str, Any]:
    """A recorded digest in a few numbers, for the CLI and the flow's result."""
    return {
        "digest_id": digest.id,
        "recipient": digest.recipient_email,
        **content_summary(content_of(digest)),
    }
