"""Which moments the engine accepts, and when a sweep "as of" a moment may record anything.

Pure: the real present is an argument like every other `now`. A sweep records
escalations once per stall episode and level, so a sweep run as of a day that has
not come yet would use up the real ones (and their mail would wait for that day);
it may only look. Replaying the past is allowed: it records what was due then.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from states.errors import TaskforceError

# The years the calendar (weekends, public holidays, working-day counts) is meant for.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# Clocks of two machines differ by a little: a moment this far ahead still counts as now.
CLOCK_SKEW = timedelta(minutes=5)


class MomentOutOfRangeError(TaskforceError):
    """The moment is outside the years taskforce keeps a calendar for."""

    # EX_USAGE: the moment asked for, not the data, is what cannot be used.
    exit_code = 64


def accepted(moment: datetime) -> datetime:
    """`moment` in UTC if it lies in the calendar's years; refused before anything is read."""
    if moment.tzinfo is None:
        raise TaskforceError(f"the moment {moment.isoformat()} has no time zone")
    if not EARLIEST <= moment < LATEST:
        shown = moment.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")
        raise MomentOutOfRangeError(
            f"{shown} is outside the years taskforce keeps a calendar for"
            f" ({EARLIEST.year} to {LATEST.year - 1}); give a moment within them"
        )
    return moment.astimezone(UTC)


def is_future(moment: datetime, *, present: datetime) -> bool:
    """Whether `moment` has not come yet, allowing for a few minutes of clock skew."""
    return moment > present + CLOCK_SKEW


def sweep_may_record(moment: datetime, *, present: datetime, simulated: bool = False) -> bool:
    """Whether a sweep as of `moment` may record escalations, or only report them.

    A simulation (the demo, tests) runs on its own database whose clock is the
    simulated one, so it records at any moment it plays; any other sweep records
    only for moments that have come.
    """
    return simulated or not is_future(moment, present=present)
