"""Reopening a day: a public holiday the `holidays` package estimated, moved by the moon.

The package gives the Prophet's Birthday 2026 as Wednesday 26 August; when the
moon is sighted a day later, offices open on the 26th and close on the 27th. The
calendar file says so with an `open_days` entry beside a closed day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from states.calendar import ClosedDay, OpenDay, WorkingCalendar, load_calendar
from states.errors import DefinitionError

EXAMPLE = Path(__file__).parents[2] / "states" / "calendars" / "closed_days.example.yaml"
ESTIMATED = dt.date(2026, 8, 26)  # the package's Prophet's Birthday, a Wednesday
SIGHTED = dt.date(2026, 8, 27)
PLAIN = WorkingCalendar()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_estimated_holiday_is_closed_without_the_file() -> None:
    assert PLAIN.holiday_name(ESTIMATED, "federal") == "Prophet's Birthday"
    assert not PLAIN.is_working_day(ESTIMATED, "punjab/lahore")


def test_the_example_file_moves_the_holiday_by_a_day() -> None:
    calendar = load_calendar(EXAMPLE)
    for jurisdiction in ("federal", "sindh", "punjab/lahore"):
        assert calendar.is_working_day(ESTIMATED, jurisdiction)
        assert calendar.holiday_name(ESTIMATED, jurisdiction) is None
        assert not calendar.is_working_day(SIGHTED, jurisdiction)
    # Tuesday the 25th + 1 working day: Wednesday now, Friday before (Thursday was open).
    assert calendar.add_working_days(ESTIMATED - dt.timedelta(days=1), 1, "punjab") == ESTIMATED
    assert PLAIN.add_working_days(ESTIMATED - dt.timedelta(days=1), 1, "punjab") == SIGHTED
    assert calendar.working_days_between(dt.date(2026, 8, 24), dt.date(2026, 8, 28), "sindh") == 3


def test_a_province_reopens_a_day_for_itself_and_its_districts_only(tmp_path: Path) -> None:
    calendar = load_calendar(
        _write(
            tmp_path,
            "open_days:\n"
            f"  - date: {ESTIMATED}\n"
            "    name: Moon sighted late in Punjab\n"
            "    jurisdiction: punjab\n",
        )
    )
    assert calendar.is_working_day(ESTIMATED, "punjab/multan")
    assert not calendar.is_working_day(ESTIMATED, "sindh")
    assert not calendar.is_working_day(ESTIMATED, "federal")


def test_a_closed_day_wins_over_an_open_day_for_a_wider_jurisdiction() -> None:
    calendar = WorkingCalendar(
        closed_days=(ClosedDay(date=ESTIMATED, name="Local holiday", jurisdiction="sindh"),),
        open_days=(OpenDay(date=ESTIMATED, name="Moved", jurisdiction="federal"),),
    )
    assert calendar.is_working_day(ESTIMATED, "punjab")
    assert not calendar.is_working_day(ESTIMATED, "sindh/karachi")
    assert calendar.holiday_name(ESTIMATED, "sindh") == "Local holiday"


def test_the_same_day_closed_and_open_for_one_jurisdiction_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "closed_days:\n"
        f"  - date: {SIGHTED}\n"
        "    name: Sighted\n"
        "open_days:\n"
        f"  - date: {SIGHTED}\n"
        "    name: Open after all\n",
    )
    with pytest.raises(DefinitionError) as caught:
        load_calendar(path)
    assert f"{path}:5: open_days[0].date: {SIGHTED} is closed for federal" in caught.value.message


def test_a_name_with_a_line_break_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, f'open_days:\n  - date: {ESTIMATED}\n    name: "a\\r\\nb"\n')
    with pytest.raises(DefinitionError) as caught:
        load_calendar(path)
    assert "open_days[0].name: contains a control character (U+000D" in caught.value.message


days = st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))
places = st.sampled_from(["federal", "punjab", "punjab/lahore", "sindh"])


@settings(max_examples=60, deadline=None, database=None)
@given(
    closed=st.lists(st.tuples(days, places), max_size=6, unique=True),
    opened=st.lists(st.tuples(days, places), max_size=6, unique=True),
    start=days,
    span=st.integers(0, 60),
    place=places,
)
def test_counting_agrees_with_asking_day_by_day(
    closed: list[tuple[dt.date, str]],
    opened: list[tuple[dt.date, str]],
    start: dt.date,
    span: int,
    place: str,
) -> None:
    """The fast count over each year's working days says what is_working_day says."""
    calendar = WorkingCalendar(
        closed_days=tuple(ClosedDay(date=d, name="c", jurisdiction=j) for d, j in closed),
        open_days=tuple(OpenDay(date=d, name="o", jurisdiction=j) for d, j in opened),
    )
    end = start + dt.timedelta(days=span)
    walked = sum(
        calendar.is_working_day(start + dt.timedelta(days=n), place) for n in range(1, span + 1)
    )
    assert calendar.working_days_between(start, end, place) == walked
