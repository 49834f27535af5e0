"""What the board shows: every commitment in a viewer's scope by pipeline stage and province.

One query reads the commitments in scope (only the columns the board needs), one
more the jurisdictions and departments there for the filter's choices; grouping,
counting and the charts' numbers are done here in Python. Whether an item is
stalled, and which rung of its ladder it has reached, comes from `states.stalls`,
asked only for open items whose stored due time has passed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import Session

from db import attention, evidence, listing
from db.digest import in_scope, province_order
from db.models import Commitment, Escalation, Event
from notifications import formatting
from states import stalls
from states.actors import FEDERAL, PROVINCES, Role, covers, jurisdiction_problem, province_of
from states.calendar import PAKISTAN_TIME, WorkingCalendar, local_day
from states.catalogue import Catalogue
from states.definition import Pipeline, Stage
from states.errors import NotFoundError
from states.localtext import LocalText, local
from states.paging import PAGE_SIZE, Position
from states.rules import CommitmentState, Status
from states.text import search_words
from taskforce.web import charts, diagram
from taskforce.web.details import scope_of
from taskforce.web.i18n import N_
from taskforce.web.viewer import Viewer

WEEKS_SHOWN = 8
TRUE_WORDS = frozenset({"1", "on", "true", "yes"})
FALSE_WORDS = frozenset({"", "0", "off", "false", "no"})
DEPARTMENT = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class BoardFilter:
    """Which commitments the board shows; None (or False) means all."""

    pipeline: str | None = None
    jurisdiction: str | None = None
    department: str | None = None
    stalled: bool = False
    words: str | None = None  # searched for in key, title, officer and references

    def query(self) -> dict[str, str]:
        """The filter as query-string parameters (what a shared link carries)."""
        found = {
            "pipeline": self.pipeline,
            "jurisdiction": self.jurisdiction,
            "department": self.department,
            "stalled": "1" if self.stalled else None,
            "q": self.words,
        }
        return {name: value for name, value in found.items() if value}

    @property
    def narrowed(self) -> bool:
        return bool(self.query())


@dataclass(frozen=True)
class FilterProblem:
    """A filter value the board cannot use, and why (shown beside the form, answered 400)."""

    name: str
    message: str
    values: dict[str, str] = field(default_factory=dict)


def parse_filter(
    catalogue: Catalogue,
    viewer: Viewer,
    *,
    pipeline: str | None,
    jurisdiction: str | None,
    department: str | None,
    stalled: str | None,
    q: str | None = None,
) -> tuple[BoardFilter, list[FilterProblem]]:
    """The filter from the query string, and what is wrong with it (empty when nothing)."""
    problems: list[FilterProblem] = []
    words = None
    try:
        words = search_words(q or "")
    except ValueError as refused:
        problems.append(FilterProblem("q", N_("The search {problem}."), {"problem": str(refused)}))
    pipeline = (pipeline or "").strip() or None
    jurisdiction = (jurisdiction or "").strip().lower() or None
    department = (department or "").strip().lower() or None
    if pipeline is not None:
        try:
            catalogue.latest(pipeline)
        except NotFoundError:
            known = ", ".join(p.key for p in catalogue.latest_all())
            problems.append(
                FilterProblem(
                    "pipeline",
                    N_("There is no pipeline “{value}”. Choose one of: {known}."),
                    {"value": pipeline, "known": known},
                )
            )
            pipeline = None
    if jurisdiction is not None:
        wrong = jurisdiction_problem(jurisdiction)
        if wrong:
            problems.append(
                FilterProblem(
                    "jurisdiction",
                    N_(
                        "There is no jurisdiction “{value}”. Use federal, a province or"
                        " province/district, e.g. punjab/lahore."
                    ),
                    {"value": jurisdiction},
                )
            )
            jurisdiction = None
        elif not covers(viewer.jurisdiction, jurisdiction):
            problems.append(
                FilterProblem(
                    "jurisdiction",
                    N_("“{value}” is outside your jurisdiction ({yours})."),
                    {"value": jurisdiction, "yours": viewer.jurisdiction},
                )
            )
            jurisdiction = None
    if department is not None and not DEPARTMENT.fullmatch(department):
        problems.append(
            FilterProblem(
                "department",
                N_("There is no department “{value}”."),
                {"value": department},
            )
        )
        department = None
    shown_stalled = False
    word = (stalled or "").strip().lower()
    if word in TRUE_WORDS:
        shown_stalled = True
    elif word not in FALSE_WORDS:
        problems.append(
            FilterProblem(
                "stalled",
                N_("“{value}” is not a yes or no for “stalled only”; use 1 or leave it out."),
                {"value": stalled or ""},
            )
        )
    return BoardFilter(pipeline, jurisdiction, department, shown_stalled, words), problems


@dataclass(frozen=True)
class Card:
    """One commitment on the board."""

    key: str
    title: LocalText
    pipeline: str
    jurisdiction: str
    province: str
    department: str
    stage: str
    stage_title: LocalText
    status: str
    overdue_days: int | None  # working days past due; None when not stalled
    level: int | None  # the ladder rung reached
    exempt: bool
    closed_at: datetime | None
    latest_remark: str | None = None  # the latest remark's text ("" when it only attached files)
    paused: bool = False  # its clocks stand still (never stalled meanwhile)
    paused_until: date | None = None

    @property
    def stalled(self) -> bool:
        return self.overdue_days is not None


@dataclass(frozen=True)
class Lane:
    """One pipeline: its counts over every matching commitment, and this page's cards in a
    grid of provinces (rows) by stages (columns)."""

    pipeline: Pipeline
    stages: tuple[Stage, ...]
    provinces: tuple[str, ...]
    cells: dict[tuple[str, str], list[Card]]
    count: int
    stalled: int
    stage_counts: dict[str, int] = field(default_factory=dict)

    def cell(self, province: str, stage: str) -> list[Card]:
        return self.cells.get((province, stage), [])

    def stage_count(self, stage: str) -> int:
        return self.stage_counts.get(stage, 0)


@dataclass(frozen=True)
class ProvinceCount:
    """One province's numbers on the board."""

    province: str
    total: int
    open: int
    stalled: int
    completed: int
    levels: dict[int, int]  # stalled items by the ladder rung reached


@dataclass(frozen=True)
class Board:
    """Everything the board page shows: numbers over every match, cards for one page."""

    filter: BoardFilter
    lanes: tuple[Lane, ...]
    provinces: tuple[ProvinceCount, ...]
    completed_by_week: tuple[tuple[date, int], ...]  # Monday of each week, oldest first
    total: int
    stalled: int
    jurisdictions: tuple[str, ...]  # the filter's choices in the viewer's scope
    departments: tuple[str, ...]
    pipelines: tuple[Pipeline, ...]
    shown: int = 0  # cards on this page
    next: Position | None = None  # where the next page starts; None on the last
    previous: Position | None = None  # the previous page ends before it; None on the first


@dataclass(frozen=True)
class _Group:
    """Commitments alike in everything the board counts by, and how many there are."""

    jurisdiction: str
    department: str
    pipeline: str
    version: int
    stage: str
    status: str
    level: int | None
    stalled: bool
    count: int


def _scope(viewer: Viewer) -> ColumnElement[bool]:
    scope = scope_of(viewer)
    return true() if scope is None else in_scope(scope)


def _sorted_places(places: set[str], viewer: Viewer) -> tuple[str, ...]:
    places |= {province_of(place) for place in places}
    places.add(viewer.jurisdiction)
    if viewer.jurisdiction == FEDERAL:
        places |= set(PROVINCES)
    return tuple(sorted(places, key=lambda p: (province_order(province_of(p)), "/" in p, p)))


def choices(session: Session, viewer: Viewer) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The jurisdictions (with their provinces) and departments of commitments in scope."""
    rows = session.execute(
        select(Commitment.jurisdiction, Commitment.department).where(_scope(viewer)).distinct()
    ).all()
    places = {jurisdiction for jurisdiction, _ in rows}
    return _sorted_places(places, viewer), tuple(sorted({department for _, department in rows}))


def _wanted(
    session: Session, viewer: Viewer, wanted: BoardFilter, now: datetime
) -> list[ColumnElement[bool]]:
    """The filter as SQL conditions, within the viewer's scope."""
    where = [_scope(viewer)]
    if wanted.pipeline:
        where.append(Commitment.pipeline_key == wanted.pipeline)
    if wanted.jurisdiction:
        where.append(in_scope(wanted.jurisdiction))
    if wanted.department:
        where.append(Commitment.department == wanted.department)
    if wanted.stalled:
        where += [Commitment.status == "open", Commitment.due_at <= now]
    if wanted.words:
        where.append(listing.matching(session, wanted.words))
    return where


def _groups(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    where: Sequence[ColumnElement[bool]],
    now: datetime,
) -> list[_Group]:
    """Every matching commitment counted in SQL by place, department, pipeline, stage, status
    and, for stalled ones, due time and the rung its stall was actually escalated to (none
    until a sweep has told someone: the level is what was sent, not what the days say)."""
    overdue = and_(Commitment.status == "open", Commitment.due_at <= now)
    reached = attention.reached_level()
    inner = (
        select(
            Commitment.jurisdiction,
            Commitment.department,
            Commitment.pipeline_key,
            Commitment.pipeline_version,
            Commitment.stage,
            Commitment.status,
            case((overdue, Commitment.due_at), else_=None).label("due"),
            case((overdue, reached), else_=None).label("reached"),
        )
        .where(*where)
        .subquery()
    )
    columns = list(inner.c)
    found = []
    for row in session.execute(select(*columns, func.count()).group_by(*columns)):
        jurisdiction, department, pkey, version, stage, status, due_at, level, count = tuple(row)
        found.append(
            _Group(
                jurisdiction=jurisdiction,
                department=department,
                pipeline=pkey,
                version=version,
                stage=stage,
                status=status,
                level=level,
                stalled=due_at is not None,
                count=count,
            )
        )
    return found


def _cards(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    where: Sequence[ColumnElement[bool]],
    now: datetime,
    *,
    after: Position | None,
    limit: int,
    before: Position | None = None,
) -> tuple[list[Card], Position | None, Position | None]:
    """One page of cards, most urgent first (states/paging.py), and where the next and the
    previous pages start."""
    query = select(
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
        Commitment.status,
        Commitment.deadline,
        Commitment.due_at,
        Commitment.closed_at,
        Commitment.exempt,
        Commitment.paused_at,
        Commitment.paused_until,
    ).where(*where)
    page = listing.by_urgency(session, query, after=after, before=before, limit=limit)
    ids = [row.id for row in page.rows]
    remarks = evidence.latest_note_texts(session, Commitment.id.in_(ids), ids=ids)
    cards = []
    for row in page.rows:
        (_, key, title, title_ur, pkey, pversion, jurisdiction, department, stage, entered_at,
         status, deadline, due_at, closed_at, exempt, paused_at, paused_until) = row  # fmt: skip
        pipeline = catalogue.get(pkey, pversion)
        overdue_days = level = None
        if status == "open" and due_at is not None and due_at <= now:
            state = CommitmentState(
                key=key,
                pipeline=pkey,
                pipeline_version=pversion,
                jurisdiction=jurisdiction,
                stage=stage,
                status=Status.OPEN,
                stage_entered_at=entered_at,
            )
            stall = stalls.assess(pipeline, state, deadline=deadline, now=now, calendar=calendar)
            if stall is not None:
                overdue_days = stall.overdue_days
                level = stall.level.level if stall.level else None
        cards.append(
            Card(
                key=key,
                title=local(title, title_ur),
                pipeline=pkey,
                jurisdiction=jurisdiction,
                province=province_of(jurisdiction),
                department=department,
                stage=stage,
                stage_title=pipeline.stage(stage).title,
                status=status,
                overdue_days=overdue_days,
                level=level,
                exempt=exempt,
                closed_at=closed_at,
                latest_remark=remarks.get(key),
                paused=paused_at is not None,
                paused_until=paused_until,
            )
        )
    return cards, page.next, page.previous


def stage_order(pipeline: Pipeline) -> tuple[Stage, ...]:
    """The stages as the diagram places them: left to right, terminal stages last."""
    column = diagram.columns(pipeline)
    return tuple(sorted(pipeline.stages, key=lambda s: (column[s.key], pipeline.stages.index(s))))


def lanes(
    catalogue: Catalogue, groups: Sequence[_Group], cards: Sequence[Card]
) -> tuple[Lane, ...]:
    """Each pipeline's counts over every match, and this page's cards by province and stage."""
    by_pipeline: dict[str, list[_Group]] = {}
    for group in groups:
        by_pipeline.setdefault(group.pipeline, []).append(group)
    found = []
    for key in sorted(by_pipeline):
        pipeline = catalogue.latest(key)
        stages = list(stage_order(pipeline))
        known = {stage.key for stage in stages}
        stage_counts: Counter[str] = Counter()
        for group in by_pipeline[key]:
            stage_counts[group.stage] += group.count
            if group.stage not in known:  # a stage only an older version has
                title = catalogue.get(key, group.version).stage(group.stage).title
                stages.append(Stage(key=group.stage, title=title, owner=Role.OFFICER))
                known.add(group.stage)
        cells: dict[tuple[str, str], list[Card]] = {}
        for card in cards:
            if card.pipeline == key:
                cells.setdefault((card.province, card.stage), []).append(card)
        provinces = {province_of(group.jurisdiction) for group in by_pipeline[key]}
        found.append(
            Lane(
                pipeline=pipeline,
                stages=tuple(stages),
                provinces=tuple(sorted(provinces, key=province_order)),
                cells=cells,
                count=sum(group.count for group in by_pipeline[key]),
                stalled=sum(group.count for group in by_pipeline[key] if group.stalled),
                stage_counts=dict(stage_counts),
            )
        )
    return tuple(found)


def province_counts(groups: Sequence[_Group]) -> tuple[ProvinceCount, ...]:
    """Totals per province, in the constitution's order."""
    by_province: dict[str, list[_Group]] = {}
    for group in groups:
        by_province.setdefault(province_of(group.jurisdiction), []).append(group)
    counts = []
    for province, found in sorted(by_province.items(), key=lambda p: province_order(p[0])):
        levels: Counter[int] = Counter()
        for group in found:
            if group.level is not None:
                levels[group.level] += group.count
        counts.append(
            ProvinceCount(
                province=province,
                total=sum(g.count for g in found),
                open=sum(g.count for g in found if g.status == "open"),
                stalled=sum(g.count for g in found if g.stalled),
                completed=sum(g.count for g in found if g.status == "completed"),
                levels=dict(sorted(levels.items())),
            )
        )
    return tuple(counts)


def completed_by_week(
    session: Session,
    where: Sequence[ColumnElement[bool]],
    now: datetime,
    weeks: int = WEEKS_SHOWN,
) -> tuple[tuple[date, int], ...]:
    """How many items were completed in each of the last `weeks` weeks (Monday to Sunday)."""
    this_monday = local_day(now) - timedelta(days=local_day(now).weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    since = datetime.combine(mondays[0], time(), PAKISTAN_TIME)
    counts: Counter[date] = Counter()
    for closed_at in session.scalars(
        select(Commitment.closed_at).where(
            *where, Commitment.status == "completed", Commitment.closed_at >= since
        )
    ):
        if closed_at is not None:
            day = local_day(closed_at)
            counts[day - timedelta(days=day.weekday())] += 1
    return tuple((monday, counts[monday]) for monday in mondays)


@dataclass(frozen=True)
class _Summary:
    """The board's numbers over every match, and the filter's choices."""

    groups: tuple[_Group, ...]
    completed_by_week: tuple[tuple[date, int], ...]
    places: tuple[str, ...]
    departments: tuple[str, ...]


# Counting every match reads every matching row (about 100 ms at 100,000 commitments), so a
# summary is kept for the minute it was read in, until an event or an escalation is
# recorded: every move, remark and answer writes an event, every sweep that climbs a rung
# an escalation. References and tags are added without either, so a search by reference
# can count a minute late; the cards themselves are always read afresh.
_SUMMARIES: dict[tuple[object, ...], _Summary] = {}
_SUMMARIES_KEPT = 256


def _summary(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    viewer: Viewer,
    wanted: BoardFilter,
    where: Sequence[ColumnElement[bool]],
    now: datetime,
) -> _Summary:
    key = (
        str(session.get_bind().engine.url),
        viewer.jurisdiction,
        wanted,
        now.replace(second=0, microsecond=0),
        *session.execute(
            select(
                select(func.max(Event.id)).scalar_subquery(),
                select(func.max(Escalation.id)).scalar_subquery(),
            )
        ).one(),
    )
    found = _SUMMARIES.get(key)
    if found is not None:
        return found
    groups = _groups(session, catalogue, calendar, where, now)
    if wanted.narrowed:
        places, departments = choices(session, viewer)
    else:  # every commitment in scope was counted: the choices are in the groups
        places = _sorted_places({group.jurisdiction for group in groups}, viewer)
        departments = tuple(sorted({group.department for group in groups}))
    found = _Summary(tuple(groups), completed_by_week(session, where, now), places, departments)
    if len(_SUMMARIES) >= _SUMMARIES_KEPT:
        _SUMMARIES.pop(next(iter(_SUMMARIES)), None)
    _SUMMARIES[key] = found
    return found


def read_board(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    viewer: Viewer,
    wanted: BoardFilter,
    *,
    now: datetime,
    after: Position | None = None,
    limit: int = PAGE_SIZE,
    before: Position | None = None,
) -> Board:
    """The board for `viewer`, narrowed by `wanted`, as of `now`: the cards after `after`."""
    where = _wanted(session, viewer, wanted, now)
    summary = _summary(session, catalogue, calendar, viewer, wanted, where, now)
    groups = summary.groups
    cards, following, preceding = _cards(
        session, catalogue, calendar, where, now, after=after, before=before, limit=limit
    )
    return Board(
        filter=wanted,
        lanes=lanes(catalogue, groups, cards),
        provinces=province_counts(groups),
        completed_by_week=summary.completed_by_week,
        total=sum(group.count for group in groups),
        stalled=sum(group.count for group in groups if group.stalled),
        jurisdictions=summary.places,
        departments=summary.departments,
        pipelines=tuple(catalogue.latest_all()),
        shown=len(cards),
        next=following,
        previous=preceding,
    )


def unknown_department(board: Board) -> FilterProblem | None:
    """A department filter naming no department in the viewer's scope."""
    wanted = board.filter.department
    if wanted is None or wanted in board.departments:
        return None
    return FilterProblem(
        "department",
        N_(
            "No commitment in your jurisdiction belongs to the department “{value}”."
            " Known: {known}."
        ),
        {"value": wanted, "known": ", ".join(board.departments)},
    )


def overdue_chart(board: Board, t: Callable[..., str], language: str) -> str:
    """Stalled items per province, as an SVG bar chart in the reader's language."""
    bars = [
        charts.Bar(formatting.jurisdiction(count.province, language), count.stalled)
        for count in board.provinces
        if count.stalled
    ]
    return charts.bar_chart(bars, title=t("Overdue items by province"), rtl=language == "ur")


def week_label(monday: date, language: str) -> str:
    """'13 Jul' (or the Urdu month) for the week starting `monday`."""
    return formatting.day_of_month(monday, language)


def completed_chart(board: Board, t: Callable[..., str], language: str) -> str:
    """Items completed per week, as an SVG column chart."""
    bars = [charts.Bar(week_label(day, language), n) for day, n in board.completed_by_week]
    return charts.column_chart(
        bars, title=t("Items completed per week"), rtl=language == formatting.URDU
    )


def problem_text(problems: Sequence[FilterProblem], t: Callable[..., str]) -> dict[str, Any]:
    """Problems by the filter field they concern, translated."""
    return {problem.name: t(problem.message, **problem.values) for problem in problems}
