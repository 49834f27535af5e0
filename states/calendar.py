"""The working-day calendar: which days count towards a stage's time limit.

Government offices close on Saturdays, Sundays and public holidays, so a limit of
ten days means ten working days, and the Islamic holidays move every year. The
public holidays come from the `holidays` package; the days it cannot know (a
holiday gazetted late, a provincial or district holiday) an administrator lists in
a calendar file, and a holiday the package estimated wrongly (an Islamic holiday
moved by the sighting of the moon) the file reopens as a working day. Days are
Pakistan's local days (Asia/Karachi), never UTC days: a stage entered at 20:00
UTC was entered on the next day in Pakistan.

Pure: nothing here reads the clock; the only I/O is reading a calendar file.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from states.actors import FEDERAL, covers, jurisdiction_problem
from states.documents import Document, Problem, read_yaml, validate_and_check
from states.text import NAME

PAKISTAN_TIME = ZoneInfo("Asia/Karachi")
WEEKEND = frozenset({5, 6})  # Saturday and Sunday, as date.weekday() numbers them
COUNTRY = "PK"

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _calendar_date(value: object) -> object:
    """Accept a YAML date or a quoted YYYY-MM-DD; refuse times and other spellings."""
    if isinstance(value, dt.datetime):
        raise ValueError("give a day without a time, as YYYY-MM-DD")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a day in the calendar ({error})") from None
    raise ValueError("not a date; write it as YYYY-MM-DD, e.g. 2026-07-06")


Day = Annotated[dt.date, BeforeValidator(_calendar_date)]


class ListedDay(BaseModel):
    """A day the calendar file lists, with why and where."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    date: Day
    name: str = Field(min_length=1)
    jurisdiction: str = FEDERAL

    @field_validator("name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return NAME.validate(value)

    @field_validator("jurisdiction")
    @classmethod
    def _known_jurisdiction(cls, value: str) -> str:
        problem = jurisdiction_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class ClosedDay(ListedDay):
    """A day offices close that the holidays package does not know about.

    `federal` closes it everywhere; a province closes it in the province and its
    districts; a district closes it in that district only.
    """


class OpenDay(ListedDay):
    """A day offices open although the holidays package counts it a public holiday.

    The Islamic holidays follow the sighting of the moon, so the package's dates
    are estimates; when one moves, its estimated day becomes a working day again.
    `jurisdiction` reopens it there and below, as for closed days.
    """


class CalendarFile(BaseModel):
    """A whole calendar file: the extra closed days, and holidays reopened."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    closed_days: tuple[ClosedDay, ...] = ()
    open_days: tuple[OpenDay, ...] = ()
    reviewed_through: dt.date | None = None
    """The last day through which the gazetted closed days were looked up and listed."""

    @field_validator("closed_days", "open_days", mode="before")
    @classmethod
    def _empty_list(cls, value: Any, info: ValidationInfo) -> Any:
        # `closed_days:` with every entry commented out reads as null; that means none.
        if value is None:
            return ()
        if isinstance(value, dict):
            kind = "closed" if info.field_name == "closed_days" else "open"
            raise ValueError(f"must be a list of {kind} days, each entry starting with '- date:'")
        return value


@functools.lru_cache(maxsize=256)
def _public_holidays(year: int) -> Mapping[dt.date, str]:
    """Pakistan's public holidays in `year`, computed once per year and shared."""
    # Imported on first use: commands that count no working days skip its 40 ms.
    import holidays

    found: Any = holidays.country_holidays(COUNTRY, years=year)
    return MappingProxyType({day: str(name) for day, name in found.items()})


@functools.lru_cache(maxsize=256)
def _open_weekdays(year: int) -> tuple[int, ...]:
    """The weekdays of `year` that are not public holidays, as sorted day ordinals."""
    public = _public_holidays(year)
    first, last = dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal()
    return tuple(
        ordinal
        for ordinal in range(first, last + 1)
        if (day := dt.date.fromordinal(ordinal)).weekday() not in WEEKEND and day not in public
    )


def local_day(moment: dt.datetime) -> dt.date:
    """The day `moment` falls on in Pakistan; `moment` must be timezone-aware."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; pass an aware datetime (UTC)")
    return moment.astimezone(PAKISTAN_TIME).date()


def end_of_day(day: dt.date) -> dt.datetime:
    """The instant `day` ends in Pakistan (midnight at its close), as an aware UTC datetime."""
    return _end_of_day(day)


@functools.lru_cache(maxsize=4096)
def _end_of_day(day: dt.date) -> dt.datetime:
    # Remembered: ten thousand stalled items share a few hundred due days.
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=PAKISTAN_TIME)
    return midnight.astimezone(dt.UTC)


def _require_jurisdiction(jurisdiction: str) -> None:
    problem = jurisdiction_problem(jurisdiction)
    if problem:
        raise ValueError(problem)


def _require_date(day: dt.date) -> None:
    # A datetime is a date subclass; accepting one would silently use its UTC or naive day.
    if isinstance(day, dt.datetime):
        raise TypeError(f"pass a date, not the datetime {day.isoformat()}; use local_day()")


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days in each jurisdiction; immutable, safe to share.

    A working day is a weekday that is neither a public holiday of Pakistan nor a
    closed day listed for the jurisdiction (or a province or `federal` above it),
    or a day listed open there: an open day reopens a public holiday (or a
    weekend), and a closed day listed for the same place wins over it.
    Years outside the holidays package's range (1948-2100) have only weekends and
    listed closed days.

    Counting and adding working days is a binary search over each year's sorted
    working days, not a walk from day to day, so a sweep or a digest of ten
    thousand items stalled for months stays fast. The weekdays of a year that are
    not public holidays are built once per year and shared by every calendar; a
    calendar keeps its own copy only of the years where one of its closed days
    applies, per jurisdiction, built when first asked for. These indexes are
    caches: they never change an answer, and they are not part of equality.
    """

    closed_days: tuple[ClosedDay, ...] = ()
    open_days: tuple[OpenDay, ...] = ()
    # The last day through which the gazetted closed days were looked up (governance checks).
    reviewed_through: dt.date | None = field(default=None, compare=False)
    _closed_by_day: Mapping[dt.date, tuple[ClosedDay, ...]] = field(
        init=False, repr=False, compare=False
    )
    _open_by_day: Mapping[dt.date, tuple[OpenDay, ...]] = field(
        init=False, repr=False, compare=False
    )
    _closed_years: frozenset[int] = field(init=False, repr=False, compare=False)
    # (jurisdiction, year) -> the working days of that year there, for years with closed days.
    _working_by_year: dict[tuple[str, int], tuple[int, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_day: dict[dt.date, list[ClosedDay]] = {}
        for closed in self.closed_days:
            by_day.setdefault(closed.date, []).append(closed)
        frozen = {day: tuple(entries) for day, entries in by_day.items()}
        opened: dict[dt.date, list[OpenDay]] = {}
        for open_day in self.open_days:
            opened.setdefault(open_day.date, []).append(open_day)
        frozen_open = {day: tuple(entries) for day, entries in opened.items()}
        object.__setattr__(self, "closed_days", tuple(self.closed_days))
        object.__setattr__(self, "open_days", tuple(self.open_days))
        object.__setattr__(self, "_closed_by_day", MappingProxyType(frozen))
        object.__setattr__(self, "_open_by_day", MappingProxyType(frozen_open))
        # The years whose working days differ from the shared weekdays-minus-holidays.
        years = {day.year for day in frozen} | {day.year for day in frozen_open}
        object.__setattr__(self, "_closed_years", frozenset(years))
        object.__setattr__(self, "_working_by_year", {})

    def is_working_day(self, day: dt.date, jurisdiction: str) -> bool:
        """Whether offices in `jurisdiction` are open on `day`."""
        _require_date(day)
        _require_jurisdiction(jurisdiction)
        return self._is_working(day, jurisdiction)

    def holiday_name(self, day: dt.date, jurisdiction: str) -> str | None:
        """Why `day` is closed in `jurisdiction` ("Eid al-Fitr"), or None.

        Weekends are not holidays: an ordinary Saturday gives None. Several reasons
        on one day are joined with "; ", as the holidays package does.
        """
        _require_date(day)
        _require_jurisdiction(jurisdiction)
        names: list[str] = []
        public = _public_holidays(day.year).get(day)
        if public and not self._open_for(day, jurisdiction):
            names.append(public)
        names += [closed.name for closed in self._closed_for(day, jurisdiction)]
        return "; ".join(names) if names else None

    def add_working_days(self, start: dt.date, n: int, jurisdiction: str) -> dt.date:
        """The day `n` working days after `start`.

        Counting begins the day after `start`, whether or not `start` is itself a
        working day: for n >= 1 the result is the n-th working day strictly after
        `start` (Friday + 1 and Saturday + 1 are both Monday). n = 0 means "the first
        day offices are open": `start` if it is a working day, else the next one.
        """
        _require_date(start)
        _require_jurisdiction(jurisdiction)
        if n < 0:
            raise ValueError(f"cannot count {n} working days; the count must be 0 or more")
        # n = 0 wants the first working day on or after `start`, n >= 1 the n-th after it.
        wanted, ordinal = max(n, 1), start.toordinal()
        for year in range(start.year, dt.date.max.year + 1):
            days = self._working_days(year, jurisdiction)
            first = bisect_right(days, ordinal) if n else bisect_left(days, ordinal)
            if len(days) - first >= wanted:
                return dt.date.fromordinal(days[first + wanted - 1])
            wanted -= len(days) - first
        raise OverflowError("date value out of range")

    def working_days_between(self, start: dt.date, end: dt.date, jurisdiction: str) -> int:
        """How many working days d have start < d <= end; 0 when end is not after start.

        The inverse of `add_working_days` for n >= 1:
        working_days_between(s, add_working_days(s, n)) == n.
        """
        _require_date(start)
        _require_date(end)
        _require_jurisdiction(jurisdiction)
        return self._count(start, end, jurisdiction)

    def due_at(self, entered_at: dt.datetime, limit_days: int, jurisdiction: str) -> dt.datetime:
        """When a stage entered at `entered_at` with a limit of `limit_days` working days is due.

        The entry day is the Pakistan day of `entered_at`; the stage is due at the end
        (midnight, Pakistan time) of the `limit_days`-th working day after it, by the
        convention of `add_working_days`. Returned in UTC; the stage is overdue from
        this instant on.
        """
        due_day = self.add_working_days(local_day(entered_at), limit_days, jurisdiction)
        return end_of_day(due_day)

    def overdue_working_days(self, due: dt.datetime, now: dt.datetime, jurisdiction: str) -> int:
        """How many working days have passed since `due`, counting `now`'s day; 0 before `due`.

        Counts the Pakistan days after the day `due` closes, up to and including the
        day of `now`: due at the end of Monday and now Wednesday noon gives 2 when
        Tuesday and Wednesday are working days. A stage can be past `due` and still
        at 0, when only holidays have passed.
        """
        _require_jurisdiction(jurisdiction)
        now_day = local_day(now)
        # The last instant before `due` is on the due day, also when `due` is a midnight.
        due_day = local_day(due - dt.timedelta.resolution)
        if now < due:
            return 0
        return self._count(due_day, now_day, jurisdiction)

    def _count(self, start: dt.date, end: dt.date, jurisdiction: str) -> int:
        """`working_days_between` for arguments already checked."""
        if end <= start:
            return 0
        low, high = start.toordinal(), end.toordinal()
        count = 0
        for year in range(start.year, end.year + 1):
            days = self._working_days(year, jurisdiction)
            after_start = bisect_right(days, low) if year == start.year else 0
            up_to_end = bisect_right(days, high) if year == end.year else len(days)
            count += up_to_end - after_start
        return count

    def _working_days(self, year: int, jurisdiction: str) -> tuple[int, ...]:
        """The working days of `year` in `jurisdiction`, as sorted day ordinals."""
        if year not in self._closed_years:
            return _open_weekdays(year)
        key = (jurisdiction, year)
        days = self._working_by_year.get(key)
        if days is None:
            closed = {
                day.toordinal()
                for day, entries in self._closed_by_day.items()
                if day.year == year
                and any(covers(entry.jurisdiction, jurisdiction) for entry in entries)
            }
            reopened = {
                day.toordinal()
                for day, entries in self._open_by_day.items()
                if day.year == year
                and any(covers(entry.jurisdiction, jurisdiction) for entry in entries)
            }
            days = tuple(sorted((set(_open_weekdays(year)) | reopened) - closed))
            self._working_by_year[key] = days
        return days

    def _is_working(self, day: dt.date, jurisdiction: str) -> bool:
        if self._closed_for(day, jurisdiction):
            return False
        if self._open_for(day, jurisdiction):
            return True
        return day.weekday() not in WEEKEND and day not in _public_holidays(day.year)

    def _open_for(self, day: dt.date, jurisdiction: str) -> bool:
        entries = self._open_by_day.get(day, ())
        return any(covers(entry.jurisdiction, jurisdiction) for entry in entries)

    def _closed_for(self, day: dt.date, jurisdiction: str) -> list[ClosedDay]:
        entries = self._closed_by_day.get(day, ())
        return [closed for closed in entries if covers(closed.jurisdiction, jurisdiction)]


def check_calendar(file: CalendarFile) -> list[Problem]:
    """Problems across entries: a day listed twice for a jurisdiction, or closed and open there."""
    problems: list[Problem] = []
    first: dict[tuple[dt.date, str], int] = {}
    for index, closed in enumerate(file.closed_days):
        seen = first.setdefault((closed.date, closed.jurisdiction), index)
        if seen != index:
            problems.append(
                (
                    ("closed_days", index, "date"),
                    f"{closed.date.isoformat()} is already closed for {closed.jurisdiction}"
                    f" by closed_days[{seen}]; remove one of them",
                )
            )
    first_open: dict[tuple[dt.date, str], int] = {}
    for index, open_day in enumerate(file.open_days):
        where = (open_day.date, open_day.jurisdiction)
        day = open_day.date.isoformat()
        if where in first:
            problems.append(
                (
                    ("open_days", index, "date"),
                    f"{day} is closed for {open_day.jurisdiction} by closed_days[{first[where]}]"
                    " and cannot also be open there; remove one of them",
                )
            )
        seen = first_open.setdefault(where, index)
        if seen != index:
            problems.append(
                (
                    ("open_days", index, "date"),
                    f"{day} is already open for {open_day.jurisdiction}"
                    f" by open_days[{seen}]; remove one of them",
                )
            )
    return problems


def parse_calendar(document: Document) -> WorkingCalendar:
    """The calendar a parsed file declares, or a DefinitionError listing every problem."""
    if document.data is None:  # an empty file: no extra closed days
        return WorkingCalendar()
    file = validate_and_check(CalendarFile, document, check_calendar)
    return WorkingCalendar(
        closed_days=file.closed_days,
        open_days=file.open_days,
        reviewed_through=file.reviewed_through,
    )


def load_calendar(path: Path | None) -> WorkingCalendar:
    """The calendar in the file at `path`; None gives only weekends and public holidays."""
    if path is None:
        return WorkingCalendar()
    return parse_calendar(read_yaml(path))
