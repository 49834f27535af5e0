"""The working-day calendar: when stage limits fall due, and how a calendar file is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from states.calendar import ClosedDay, WorkingCalendar, end_of_day, load_calendar, local_day
from states.errors import DefinitionError

PLAIN = WorkingCalendar()
EXAMPLE = Path(__file__).parents[2] / "states" / "calendars" / "closed_days.example.yaml"


def d(text: str) -> date:
    return date.fromisoformat(text)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refuse(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(DefinitionError) as caught:
        load_calendar(path)
    return caught.value.message


# Dates the holidays package gives for Pakistan in 2026. Eid dates follow the moon:
# if a new release of the package moves them, this test says so before the others fail.
PK_2026 = {
    "2026-03-20": "Eid al-Fitr",
    "2026-03-21": "Eid al-Fitr",
    "2026-03-23": "Pakistan Day",
    "2026-05-01": "Labor Day",
    "2026-05-26": "Eid al-Adha",
    "2026-05-27": "Eid al-Adha",
    "2026-05-28": "Eid al-Adha; Youm-e-Takbeer",
    "2026-06-25": "Ashura",
    "2026-06-26": "Ashura",
    "2026-08-14": "Independence Day",
    "2026-08-26": "Prophet's Birthday",
    "2026-12-25": "Quaid-e-Azam Day",
}


@pytest.mark.parametrize(("day", "name"), PK_2026.items())
def test_pakistan_public_holidays_of_2026_are_closed_everywhere(day: str, name: str) -> None:
    for jurisdiction in ("federal", "punjab", "sindh/karachi"):
        assert PLAIN.holiday_name(d(day), jurisdiction) == name
        assert not PLAIN.is_working_day(d(day), jurisdiction)


def test_weekends_are_skipped_and_are_not_holidays() -> None:
    friday, saturday, monday = d("2026-06-12"), d("2026-06-13"), d("2026-06-15")
    assert not PLAIN.is_working_day(saturday, "punjab")
    assert PLAIN.holiday_name(saturday, "punjab") is None
    assert PLAIN.add_working_days(friday, 1, "punjab") == monday
    assert PLAIN.add_working_days(saturday, 1, "punjab") == monday
    assert PLAIN.working_days_between(friday, monday, "punjab") == 1


def test_zero_days_is_the_first_day_offices_are_open() -> None:
    assert PLAIN.add_working_days(d("2026-06-12"), 0, "federal") == d("2026-06-12")
    assert PLAIN.add_working_days(d("2026-06-13"), 0, "federal") == d("2026-06-15")
    assert PLAIN.add_working_days(d("2026-03-20"), 0, "federal") == d("2026-03-24")


def test_counting_runs_across_month_ends() -> None:
    assert PLAIN.add_working_days(d("2026-01-30"), 1, "federal") == d("2026-02-02")
    # Thursday 30 April, then Labour Day on Friday 1 May, then the weekend.
    assert PLAIN.add_working_days(d("2026-04-30"), 1, "federal") == d("2026-05-04")
    assert PLAIN.working_days_between(d("2026-04-29"), d("2026-05-04"), "federal") == 2


def test_quaid_e_azam_day_and_the_year_end() -> None:
    # Thursday 24 December; Friday 25 December is Quaid-e-Azam Day; 1 January is open.
    assert PLAIN.add_working_days(d("2026-12-24"), 1, "sindh") == d("2026-12-28")
    assert PLAIN.add_working_days(d("2026-12-31"), 1, "sindh") == d("2027-01-01")
    assert PLAIN.add_working_days(d("2026-12-31"), 2, "sindh") == d("2027-01-04")
    assert PLAIN.working_days_between(d("2026-12-24"), d("2027-01-04"), "sindh") == 6


def test_independence_day() -> None:
    assert PLAIN.add_working_days(d("2026-08-13"), 1, "punjab/lahore") == d("2026-08-17")
    assert PLAIN.working_days_between(d("2026-08-13"), d("2026-08-17"), "federal") == 1


def test_three_day_limit_entered_the_day_before_eid_ul_fitr_ends_after_it() -> None:
    # Eid on Friday 20 and Saturday 21 March, the weekend, Pakistan Day on Monday 23.
    entered = utc("2026-03-19T06:00")  # Thursday 11:00 in Pakistan
    due = PLAIN.due_at(entered, 3, "punjab")
    assert due == utc("2026-03-26T19:00")  # the end of Thursday 26 March in Pakistan
    assert PLAIN.add_working_days(d("2026-03-19"), 3, "punjab") == d("2026-03-26")


def test_three_day_limit_entered_the_day_before_eid_ul_adha_ends_after_it() -> None:
    # Eid al-Adha from Tuesday 26 to Thursday 28 May.
    due = PLAIN.due_at(utc("2026-05-25T05:00"), 3, "federal")
    assert due == utc("2026-06-02T19:00")  # Friday 29 May, Monday 1, Tuesday 2 June


def test_due_at_counts_from_the_pakistan_day_of_entry() -> None:
    # 18:59 UTC on Monday is still Monday in Pakistan; 20:00 UTC is already Tuesday.
    assert PLAIN.due_at(utc("2026-03-16T18:59"), 1, "sindh") == utc("2026-03-17T19:00")
    assert PLAIN.due_at(utc("2026-03-16T20:00"), 1, "sindh") == utc("2026-03-18T19:00")
    assert PLAIN.due_at(utc("2026-03-16T20:00"), 1, "sindh").tzinfo == UTC


def test_due_at_refuses_a_time_without_a_zone() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        PLAIN.due_at(datetime(2026, 3, 16, 9), 1, "sindh")


def test_overdue_days_count_working_days_after_the_due_day() -> None:
    due = PLAIN.due_at(utc("2026-06-05T06:00"), 1, "federal")  # end of Monday 8 June
    assert due == utc("2026-06-08T19:00")
    assert PLAIN.overdue_working_days(due, utc("2026-06-08T18:00"), "federal") == 0
    assert PLAIN.overdue_working_days(due, utc("2026-06-08T19:00"), "federal") == 1
    assert PLAIN.overdue_working_days(due, utc("2026-06-10T07:00"), "federal") == 2
    # 19:30 UTC on Wednesday is already Thursday in Pakistan.
    assert PLAIN.overdue_working_days(due, utc("2026-06-10T19:30"), "federal") == 3


def test_overdue_days_skip_weekends_and_eid() -> None:
    end_of_friday = utc("2026-06-12T19:00")
    assert PLAIN.overdue_working_days(end_of_friday, utc("2026-06-14T09:00"), "punjab") == 0
    assert PLAIN.overdue_working_days(end_of_friday, utc("2026-06-15T07:00"), "punjab") == 1
    before_eid = utc("2026-05-25T19:00")  # the end of Monday; Eid al-Adha Tuesday to Thursday
    assert PLAIN.overdue_working_days(before_eid, utc("2026-05-28T07:00"), "punjab") == 0
    assert PLAIN.overdue_working_days(before_eid, utc("2026-05-29T07:00"), "punjab") == 1


def test_provincial_closed_day_applies_to_the_province_and_its_districts_only(
    tmp_path: Path,
) -> None:
    calendar = load_calendar(
        write(
            tmp_path,
            "closed_days:\n"
            "  - date: 2026-07-15\n"
            "    name: Sindh gazetted holiday\n"
            "    jurisdiction: sindh\n",
        )
    )
    wednesday = d("2026-07-15")
    for closed in ("sindh", "sindh/karachi"):
        assert not calendar.is_working_day(wednesday, closed)
        assert calendar.holiday_name(wednesday, closed) == "Sindh gazetted holiday"
        assert calendar.add_working_days(d("2026-07-14"), 1, closed) == d("2026-07-16")
    for open_ in ("punjab", "punjab/lahore", "federal"):
        assert calendar.is_working_day(wednesday, open_)
        assert calendar.holiday_name(wednesday, open_) is None
        assert calendar.add_working_days(d("2026-07-14"), 1, open_) == wednesday


def test_nationwide_closed_day_from_a_file_applies_everywhere(tmp_path: Path) -> None:
    calendar = load_calendar(
        write(
            tmp_path,
            "closed_days:\n"
            "  - date: 2026-03-19\n"
            '    name: "Eid al-Fitr (additional day)"\n'
            "  - date: 2026-03-21\n"
            "    name: Eid al-Fitr holiday notified\n",
        )
    )
    extra = "Eid al-Fitr (additional day)"
    for jurisdiction in ("federal", "punjab", "sindh/karachi"):
        assert calendar.holiday_name(d("2026-03-19"), jurisdiction) == extra
        assert calendar.add_working_days(d("2026-03-18"), 1, jurisdiction) == d("2026-03-24")
    assert calendar.holiday_name(d("2026-03-21"), "federal") == (
        "Eid al-Fitr; Eid al-Fitr holiday notified"
    )
    assert PLAIN.add_working_days(d("2026-03-18"), 1, "federal") == d("2026-03-19")


def test_no_calendar_file_means_weekends_and_public_holidays_only() -> None:
    assert load_calendar(None) == PLAIN
    assert load_calendar(None).closed_days == ()


def test_the_example_file_loads() -> None:
    calendar = load_calendar(EXAMPLE)
    assert not calendar.is_working_day(d("2026-12-28"), "sindh/larkana")
    assert calendar.is_working_day(d("2026-12-28"), "punjab")
    assert not calendar.is_working_day(d("2026-08-05"), "punjab/lahore")
    assert calendar.is_working_day(d("2026-08-05"), "punjab/multan")
    assert calendar.is_working_day(d("2026-08-05"), "punjab")


def test_an_empty_calendar_file_closes_nothing(tmp_path: Path) -> None:
    assert load_calendar(write(tmp_path, "# nothing gazetted yet\n")) == PLAIN
    assert load_calendar(write(tmp_path, "closed_days:\n")) == PLAIN


def test_impossible_date_is_refused_with_its_line(tmp_path: Path) -> None:
    message = refuse(
        tmp_path,
        "closed_days:\n"
        "  - date: 2026-07-06\n"
        "    name: fine\n"
        "  - date: 2026-02-30\n"
        "    name: no such day\n",
    )
    assert message.startswith(f"{tmp_path / 'calendar.yaml'}:4: ")
    assert "2026-02-30 is not a day in the calendar" in message


def test_date_in_another_spelling_is_refused_with_its_line(tmp_path: Path) -> None:
    message = refuse(
        tmp_path,
        'closed_days:\n  - date: "06-07-2026"\n    name: Ashura (gazetted extra day)\n',
    )
    assert message == (
        f"{tmp_path / 'calendar.yaml'}:2: closed_days[0].date: not a date;"
        " write it as YYYY-MM-DD, e.g. 2026-07-06 (got '06-07-2026')"
    )


def test_unknown_jurisdiction_is_refused_with_its_line(tmp_path: Path) -> None:
    message = refuse(
        tmp_path,
        "closed_days:\n"
        "  - date: 2026-07-15\n"
        "    name: Karachi holiday\n"
        "    jurisdiction: karachi\n",
    )
    assert message.startswith(
        f"{tmp_path / 'calendar.yaml'}:4: closed_days[0].jurisdiction:"
        " unknown jurisdiction 'karachi'; use one of federal, punjab, sindh"
    )


def test_unknown_key_is_refused_with_its_line(tmp_path: Path) -> None:
    message = refuse(
        tmp_path,
        "closed_days:\n  - date: 2026-07-15\n    title: Sindh holiday\n",
    )
    assert f"{tmp_path / 'calendar.yaml'}:3: closed_days[0].title: unknown key 'title';" in message
    assert "allowed here: date, name, jurisdiction" in message
    assert "closed_days[0].name: is required but missing" in message


def test_the_same_day_listed_twice_is_refused(tmp_path: Path) -> None:
    message = refuse(
        tmp_path,
        "closed_days:\n"
        "  - {date: 2026-07-15, name: A, jurisdiction: sindh}\n"
        "  - {date: 2026-07-15, name: B, jurisdiction: punjab}\n"
        "  - {date: 2026-07-15, name: C, jurisdiction: sindh}\n",
    )
    assert message == (
        f"{tmp_path / 'calendar.yaml'}:4: closed_days[2].date: 2026-07-15 is already"
        " closed for sindh by closed_days[0]; remove one of them"
    )


def test_a_misspelt_jurisdiction_in_code_is_refused_not_ignored() -> None:
    with pytest.raises(ValueError, match="unknown jurisdiction 'Sindh'"):
        PLAIN.is_working_day(d("2026-07-15"), "Sindh")
    with pytest.raises(ValueError, match="0 or more"):
        PLAIN.add_working_days(d("2026-07-15"), -1, "sindh")


def test_no_working_days_between_a_day_and_an_earlier_one() -> None:
    assert PLAIN.working_days_between(d("2026-07-15"), d("2026-07-15"), "sindh") == 0
    assert PLAIN.working_days_between(d("2026-07-15"), d("2026-07-01"), "sindh") == 0


PROVINCIAL = WorkingCalendar(
    closed_days=(
        ClosedDay(date=d("2026-07-15"), name="Sindh holiday", jurisdiction="sindh"),
        ClosedDay(date=d("2027-01-01"), name="Bank holiday"),
        ClosedDay(date=d("2026-12-31"), name="Lahore holiday", jurisdiction="punjab/lahore"),
    )
)


@settings(max_examples=200, deadline=None)
@given(
    raw_start=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    n=st.integers(min_value=1, max_value=60),
    jurisdiction=st.sampled_from(["federal", "sindh", "sindh/karachi", "punjab/lahore"]),
)
def test_adding_then_counting_working_days_gives_back_n(
    raw_start: date, n: int, jurisdiction: str
) -> None:
    start = PROVINCIAL.add_working_days(raw_start, 0, jurisdiction)
    end = PROVINCIAL.add_working_days(start, n, jurisdiction)
    assert PROVINCIAL.is_working_day(start, jurisdiction)
    assert PROVINCIAL.is_working_day(end, jurisdiction)
    assert PROVINCIAL.working_days_between(start, end, jurisdiction) == n
    assert PROVINCIAL.working_days_between(start, end - timedelta(days=1), jurisdiction) == n - 1


def test_a_single_closed_day_must_still_be_a_list(tmp_path: Path) -> None:
    message = refuse(tmp_path, "closed_days:\n  date: 2026-07-15\n  name: Sindh holiday\n")
    assert message == (
        f"{tmp_path / 'calendar.yaml'}:1: closed_days: must be a list of closed days,"
        " each entry starting with '- date:'"
    )


# -- the fast counts against a day-by-day count --------------------------------------------------

# Counting and adding look working days up in per-year indexes; these tests hold them to
# a count that looks at every day in turn. Closed days sit on both sides of year ends, for
# a province, a district and everywhere, also in years past the holidays package's 2100.
CLOSED = (
    ClosedDay(date=d("2026-07-08"), name="Provincial holiday", jurisdiction="punjab"),
    ClosedDay(date=d("2026-12-31"), name="Year end", jurisdiction="federal"),
    ClosedDay(date=d("2027-01-04"), name="District holiday", jurisdiction="sindh/karachi"),
    ClosedDay(date=d("2027-01-05"), name="Provincial holiday", jurisdiction="sindh"),
    ClosedDay(date=d("2100-12-30"), name="Last year with public holidays", jurisdiction="punjab"),
    ClosedDay(date=d("2101-01-03"), name="First year without", jurisdiction="punjab/lahore"),
)
# One calendar for every example, so that its indexes are reused across them.
INDEXED = WorkingCalendar(closed_days=CLOSED)
JURISDICTIONS = st.sampled_from(
    ["federal", "punjab", "punjab/lahore", "sindh", "sindh/karachi", "balochistan"]
)
DAYS = st.one_of(
    st.dates(min_value=date(2025, 11, 1), max_value=date(2027, 3, 1)),
    st.dates(min_value=date(2100, 6, 1), max_value=date(2101, 6, 1)),
)


def count_day_by_day(calendar: WorkingCalendar, start: date, end: date, where: str) -> int:
    """The working days d with start < d <= end, looking at every day in turn."""
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        count += calendar.is_working_day(day, where)
        day += timedelta(days=1)
    return count


def add_day_by_day(calendar: WorkingCalendar, start: date, n: int, where: str) -> date:
    """The n-th working day after `start` (n = 0: the first on or after it), day by day."""
    day = start
    if n == 0:
        while not calendar.is_working_day(day, where):
            day += timedelta(days=1)
        return day
    while n:
        day += timedelta(days=1)
        n -= calendar.is_working_day(day, where)
    return day


@settings(max_examples=300, deadline=None)
@given(
    start=DAYS,
    length=st.integers(min_value=-40, max_value=800),
    n=st.integers(min_value=0, max_value=60),
    where=JURISDICTIONS,
)
def test_counting_and_adding_give_the_day_by_day_answers(
    start: date, length: int, n: int, where: str
) -> None:
    end = start + timedelta(days=length)

    assert INDEXED.working_days_between(start, end, where) == count_day_by_day(
        INDEXED, start, end, where
    )
    assert INDEXED.add_working_days(start, n, where) == add_day_by_day(INDEXED, start, n, where)
    assert PLAIN.working_days_between(start, end, where) == count_day_by_day(
        PLAIN, start, end, where
    )


@settings(max_examples=200, deadline=None)
@given(
    entered=st.datetimes(
        min_value=datetime(2025, 11, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    limit=st.integers(min_value=0, max_value=30),
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=120)),
    where=JURISDICTIONS,
)
def test_due_times_and_overdue_counts_give_the_day_by_day_answers(
    entered: datetime, limit: int, later: timedelta, where: str
) -> None:
    due = INDEXED.due_at(entered, limit, where)
    assert due == end_of_day(add_day_by_day(INDEXED, local_day(entered), limit, where))

    now = due + later - timedelta(days=3)
    due_day = local_day(due - timedelta.resolution)
    expected = 0 if now < due else count_day_by_day(INDEXED, due_day, local_day(now), where)
    assert INDEXED.overdue_working_days(due, now, where) == expected


def test_a_ten_year_span_counts_as_its_days_do() -> None:
    start, end = d("2020-03-05"), d("2030-03-05")
    for where in ("federal", "punjab/lahore", "sindh"):
        assert INDEXED.working_days_between(start, end, where) == count_day_by_day(
            INDEXED, start, end, where
        )
    assert PLAIN.working_days_between(start, end, "federal") == 2484


def test_the_fast_counts_refuse_what_they_always_refused() -> None:
    with pytest.raises(TypeError, match="not the datetime"):
        PLAIN.working_days_between(utc("2026-07-01T05:00"), d("2026-08-01"), "punjab")
    with pytest.raises(TypeError, match="not the datetime"):
        PLAIN.working_days_between(d("2026-07-01"), utc("2026-08-01T05:00"), "punjab")
    with pytest.raises(TypeError, match="not the datetime"):
        PLAIN.add_working_days(utc("2026-07-01T05:00"), 1, "punjab")
    with pytest.raises(ValueError, match="unknown jurisdiction 'atlantis'"):
        PLAIN.working_days_between(d("2026-07-01"), d("2026-08-01"), "atlantis")
    with pytest.raises(ValueError, match="unknown jurisdiction 'atlantis'"):
        PLAIN.overdue_working_days(utc("2026-07-01T19:00"), utc("2026-08-01T05:00"), "atlantis")
    with pytest.raises(ValueError, match="no time zone"):
        PLAIN.overdue_working_days(utc("2026-07-01T19:00"), datetime(2026, 8, 1), "punjab")
    with pytest.raises(OverflowError):  # past the last day Python's dates know
        PLAIN.add_working_days(date.max - timedelta(days=3), 10, "punjab")


def test_the_indexes_are_not_part_of_a_calendars_value() -> None:
    used = WorkingCalendar(closed_days=CLOSED)
    used.working_days_between(d("2026-01-01"), d("2027-12-31"), "sindh/karachi")

    assert used == WorkingCalendar(closed_days=CLOSED)
    assert hash(used) == hash(WorkingCalendar(closed_days=CLOSED))
    assert repr(used) == repr(WorkingCalendar(closed_days=CLOSED))
