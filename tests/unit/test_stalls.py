"""When a commitment becomes overdue, why, and which rung of its ladder it has reached."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from states.calendar import WorkingCalendar, end_of_day
from states.catalogue import BUNDLED_PIPELINES, Catalogue, parse_pipeline
from states.definition import Pipeline
from states.documents import parse_yaml
from states.errors import DefinitionError
from states.pausing import deadline_after_pauses
from states.rules import CommitmentState, Status
from states.stalls import StallReason, assess, due, ladder_level

CATALOGUE = Catalogue.from_directories([BUNDLED_PIPELINES])
COMMISSION = CATALOGUE.latest("commission_appointment")
FAN_OUT = CATALOGUE.latest("fan_out")
CALENDAR = WorkingCalendar()
MEETING_DAY = date(2026, 6, 12)  # a Friday
# Midnight in Pakistan on the meeting day, when the bundled commitments start.
STARTED = datetime(2026, 6, 11, 19, 0, tzinfo=UTC)
DEADLINE = date(2026, 7, 12)


def commission(**changes: object) -> CommitmentState:
    state = CommitmentState(
        key="CSW-PUNJAB",
        pipeline="commission_appointment",
        pipeline_version=1,
        jurisdiction="punjab",
        stage="nominations_invited",
        status=Status.OPEN,
        stage_entered_at=STARTED,
    )
    return replace(state, **changes)  # type: ignore[arg-type]


def test_the_stage_clock_ends_with_its_seventh_working_day() -> None:
    # Seven working days after Friday 12 June: 15-19 and 22-23 June; due as 23 June ends.
    when = due(COMMISSION, commission(), deadline=DEADLINE, calendar=CALENDAR)
    assert when is not None
    assert when.reason is StallReason.STAGE_LIMIT
    assert when.at == datetime(2026, 6, 23, 19, 0, tzinfo=UTC)


def test_nothing_is_stalled_before_the_due_time_and_it_is_level_one_once_due() -> None:
    state = commission()
    due_at = datetime(2026, 6, 23, 19, 0, tzinfo=UTC)
    before = due_at - timedelta(seconds=1)
    assert assess(COMMISSION, state, deadline=DEADLINE, now=before, calendar=CALENDAR) is None
    stall = assess(COMMISSION, state, deadline=DEADLINE, now=due_at, calendar=CALENDAR)
    assert stall is not None
    # The first overdue working day (24 June) has begun.
    assert stall.overdue_days == 1
    assert stall.level is not None and stall.level.level == 1


@pytest.mark.parametrize(
    ("now", "overdue", "level", "notify"),
    [
        (datetime(2026, 6, 24, 6, 0, tzinfo=UTC), 1, 1, "officer"),
        # 25 and 26 June are Ashura holidays and 27-28 a weekend: Monday 29 June is day 2.
        (datetime(2026, 6, 26, 6, 0, tzinfo=UTC), 1, 1, "officer"),
        (datetime(2026, 6, 29, 6, 0, tzinfo=UTC), 2, 2, "secretary"),
        (datetime(2026, 7, 1, 6, 0, tzinfo=UTC), 4, 2, "secretary"),
        (datetime(2026, 7, 2, 6, 0, tzinfo=UTC), 5, 3, "chief_secretary"),
        (datetime(2026, 7, 7, 6, 0, tzinfo=UTC), 8, 4, "chair"),
    ],
)
def test_each_rung_of_the_ladder_is_reached_on_its_working_day(
    now: datetime, overdue: int, level: int, notify: str
) -> None:
    stall = assess(COMMISSION, commission(), deadline=DEADLINE, now=now, calendar=CALENDAR)
    assert stall is not None
    assert stall.overdue_days == overdue
    assert stall.level is not None
    assert (stall.level.level, stall.level.notify) == (level, notify)


def test_a_new_stage_restarts_the_stage_clock_but_not_the_deadline() -> None:
    moved = commission(stage="shortlisted", stage_entered_at=datetime(2026, 7, 10, 6, tzinfo=UTC))
    when = due(COMMISSION, moved, deadline=DEADLINE, calendar=CALENDAR)
    assert when is not None
    # Five working days from 10 July would run to 17 July; the 12 July deadline comes first.
    assert when.reason is StallReason.DEADLINE
    assert when.at == datetime(2026, 7, 12, 19, 0, tzinfo=UTC)


def test_a_closed_commitment_and_a_clockless_one_never_stall() -> None:
    closed = commission(stage="in_office", status=Status.COMPLETED)
    late = datetime(2027, 1, 1, tzinfo=UTC)
    assert assess(COMMISSION, closed, deadline=DEADLINE, now=late, calendar=CALENDAR) is None
    national = commission(key="DHRC-NATIONAL", pipeline="fan_out", stage="in_progress")
    assert assess(FAN_OUT, national, deadline=None, now=late, calendar=CALENDAR) is None


def test_the_ladder_level_is_the_highest_rung_reached() -> None:
    assert [ladder_level(COMMISSION, days) for days in (0, 1)] == [COMMISSION.ladder[0]] * 2
    assert ladder_level(COMMISSION, 100) == COMMISSION.ladder[-1]


def _commission_counting(clock: str, limit: int) -> Pipeline:
    """The commission pipeline with its first stage's limit counted by `clock`."""
    written = COMMISSION.model_dump(mode="json", by_alias=True, exclude_none=True)
    first = {**written["stages"][0], "time_limit": limit, "clock": clock}
    return Pipeline.model_validate({**written, "stages": [first, *written["stages"][1:]]})


@pytest.mark.parametrize(
    ("clock", "limit", "entered", "last_day"),
    [
        # Ten calendar days from Friday 12 June, weekends and all: due as 22 June ends.
        pytest.param("calendar_days", 10, STARTED, date(2026, 6, 22), id="calendar-days"),
        # Eid al-Adha (about 27 May) is no pause for a calendar clock either.
        pytest.param(
            "calendar_days",
            10,
            datetime(2026, 5, 24, 19, 0, tzinfo=UTC),
            date(2026, 6, 4),
            id="calendar-days-over-a-holiday",
        ),
        pytest.param("months", 1, STARTED, date(2026, 7, 12), id="within-one-month"),
        # From the last day of January, one month ends on the last day of February.
        pytest.param(
            "months", 1, datetime(2027, 1, 30, 19, 0, tzinfo=UTC), date(2027, 2, 28), id="month-end"
        ),
        # Seven working days from the same Friday, as the bundled stage counts them.
        pytest.param("working_days", 7, STARTED, date(2026, 6, 23), id="working-days"),
    ],
)
def test_a_stage_limit_counts_by_its_clock(
    clock: str, limit: int, entered: datetime, last_day: date
) -> None:
    pipeline = _commission_counting(clock, limit)
    when = due(pipeline, commission(stage_entered_at=entered), deadline=None, calendar=CALENDAR)

    assert when is not None
    assert when.at == end_of_day(last_day)


def test_a_clock_needs_a_limit_and_the_default_clock_leaves_the_checksum_as_it_was() -> None:
    written = COMMISSION.model_dump(mode="json", by_alias=True, exclude_none=True)
    first = {**written["stages"][0], "clock": "calendar_days"}
    del first["time_limit"]
    with pytest.raises(DefinitionError, match="has a clock but no time_limit"):
        parse_pipeline(
            parse_yaml(
                yaml.safe_dump({**written, "stages": [first, *written["stages"][1:]]}),
                "commission.yaml",
            )
        )
    assert '"clock"' not in COMMISSION.canonical_json()
    assert '"clock":"months"' in _commission_counting("months", 1).canonical_json()


@pytest.mark.parametrize(
    ("paused", "last_day"),
    [
        (timedelta(0), date(2026, 7, 12)),
        (timedelta(hours=1), date(2026, 7, 13)),
        (timedelta(days=1), date(2026, 7, 13)),
        (timedelta(days=1, hours=12), date(2026, 7, 14)),
    ],
    ids=["never paused", "an hour", "a day", "a day and a half"],
)
def test_the_deadline_moves_by_whole_days_of_pause_by_one_rule(
    paused: timedelta, last_day: date
) -> None:
    # The day shown as the deadline, the day after which the sweep lapses an item, and the
    # due time all come from deadline_after_pauses: a part of a day of pause counts as a day.
    assert deadline_after_pauses(DEADLINE, paused) == last_day
    moved = commission(stage="shortlisted", stage_entered_at=datetime(2026, 7, 10, 6, tzinfo=UTC))
    when = due(
        COMMISSION, replace(moved, deadline_paused=paused), deadline=DEADLINE, calendar=CALENDAR
    )
    assert when is not None and when.reason is StallReason.DEADLINE
    assert when.at == end_of_day(last_day)
