"""Effective dates: when a move or an answer really happened, beside when it was recorded.

Pure: the real present (`now`) is an argument. An officer who records on 9 July
that the assembly introduced the bill on 7 July says so, and the stage clock, the
due time and the escalations count from 7 July; the recorded time stays 9 July.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from states.actors import Role
from states.calendar import PAKISTAN_TIME, local_day
from states.moments import is_future

# How far back a person below the secretary's rank may date a move, in Pakistan days.
DEFAULT_MAX_DAYS_BACK = 14
# A move dated by its day alone happened at the start of that working day.
WORKDAY_START = time(9, 0)
# Roles that may date a move further back than the limit: the secretary and those above.
MAY_DATE_FAR_BACK = frozenset(Role) - {Role.OFFICER}


@dataclass(frozen=True)
class DatingLimits:
    """What an effective date is checked against."""

    previous: datetime  # the effective moment of the commitment's latest event
    max_days_back: int = DEFAULT_MAX_DAYS_BACK


def start_of_day(day: date, *, now: datetime) -> datetime:
    """The moment a move dated only `day` happened: 09:00 Pakistan time, or now if that is later
    today (a move recorded at 08:00 on the day it happened did not happen in the future)."""
    moment = datetime.combine(day, WORKDAY_START, tzinfo=PAKISTAN_TIME)
    return min(moment, now) if day == local_day(now) else moment


def shown(moment: datetime) -> str:
    """A moment as its Pakistan date, or date and time when not the start of a working day."""
    local = moment.astimezone(PAKISTAN_TIME)
    if local.time().replace(second=0, microsecond=0) == WORKDAY_START:
        return local.date().isoformat()
    return local.strftime("%Y-%m-%d %H:%M")


def dating_problem(
    moment: datetime, *, role: Role, now: datetime, limits: DatingLimits, what: str = "move"
) -> str | None:
    """Why `moment` cannot be the effective date of a `what` by someone of `role`, or None.

    Not in the future, not before the previous event (the commitment's history stays
    in order), and not more than `max_days_back` days back unless a secretary or
    someone above dates it.
    """
    if moment.tzinfo is None:
        return f"the {what}'s date {moment.isoformat()} has no time zone"
    if is_future(moment, present=now):
        return f"the {what} can't be dated in the future ({shown(moment)}; now is {shown(now)})"
    if moment < limits.previous:
        return (
            f"the {what} can't be dated before the previous event on {shown(limits.previous)}"
        )
    earliest = local_day(now) - timedelta(days=limits.max_days_back)
    if local_day(moment) < earliest and role not in MAY_DATE_FAR_BACK:
        return (
            f"the {what} can't be dated more than {limits.max_days_back} days back"
            f" ({shown(moment)}); a secretary or someone above may record it"
        )
    return None


def same_moment(effective: datetime | None, recorded: datetime) -> bool:
    """Whether an event happened when it was recorded (nothing to show beside it)."""
    return effective is None or local_day(effective) == local_day(recorded)
