"""Which moments the engine accepts, and when a sweep may record: the pure rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from states.moments import (
    CLOCK_SKEW,
    MomentOutOfRangeError,
    accepted,
    is_future,
    sweep_may_record,
)

PRESENT = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
KARACHI = ZoneInfo("Asia/Karachi")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=KARACHI),
        datetime(9999, 12, 31, 23, 59, tzinfo=KARACHI),
        datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2100, 1, 1, tzinfo=UTC),
    ],
    ids=["year-1", "year-9999", "just-before-2000", "2100"],
)
def test_moments_outside_the_calendar_years_are_refused_with_the_years_named(
    moment: datetime,
) -> None:
    with pytest.raises(MomentOutOfRangeError) as refused:
        accepted(moment)

    assert refused.value.exit_code == 64
    assert "2000 to 2099" in refused.value.message
    assert "\n" not in refused.value.message


def test_a_moment_in_range_comes_back_in_utc() -> None:
    local = datetime(2026, 7, 27, 10, 0, tzinfo=KARACHI)

    assert accepted(local) == datetime(2026, 7, 27, 5, 0, tzinfo=UTC)
    assert accepted(local).tzinfo is UTC


def test_a_moment_without_a_zone_is_refused() -> None:
    with pytest.raises(Exception, match="no time zone"):
        accepted(datetime(2026, 7, 27, 10, 0))


@pytest.mark.parametrize(
    ("offset", "records"),
    [
        (-timedelta(days=400), True),  # replaying the past
        (timedelta(0), True),
        (CLOCK_SKEW, True),  # another machine's clock a little ahead
        (CLOCK_SKEW + timedelta(seconds=1), False),
        (timedelta(days=365), False),
    ],
    ids=["past", "now", "within-skew", "just-past-skew", "a-year-ahead"],
)
def test_a_sweep_records_only_for_moments_that_have_come(offset: timedelta, records: bool) -> None:
    moment = PRESENT + offset

    assert sweep_may_record(moment, present=PRESENT) is records
    assert is_future(moment, present=PRESENT) is not records


def test_a_simulation_records_at_any_moment() -> None:
    assert sweep_may_record(PRESENT + timedelta(days=365), present=PRESENT, simulated=True)
