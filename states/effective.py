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
from states.message import Message
from states.moments import is_future

# How far back a person below the secretary's rank may date a move, in Pakistan days.
DEFAULT_MAX_DAYS_BACK = 14
# A move dated by its day alone happened at the start of that working day.
WORKDAY_START = time(9, 0)
# Roles that may date a move further back than the limit: the secretary and those above.
MAY_DATE_FAR_BACK = frozenset(Role) - {Role.OFFICER}
# What is being dated, as a message names it (a page says it in its language).
_WHAT = {
    "move": Message("move"),
    "acknowledgement": Message("acknowledgement"),
    "snooze": Message("snooze"),
}


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
    thing = _WHAT.get(what, what)
    if moment.tzinfo is None:
        return Message(
            "the {what}'s date {moment} has no time zone", what=thing, moment=moment.isoformat()
        )
    if is_future(moment, present=now):
        return Message(
            "the {what} can't be dated in the future ({moment}; now is {now})",
            what=thing,
            moment=shown(moment),
            now=shown(now),
        )
    if moment < limits.previous:
        return Message(
            "the {what} can't be dated before the previous event on {previous}",
            what=thing,
            previous=shown(limits.previous),
        )
    earliest = local_day(now) - timedelta(days=limits.max_days_back)
    if local_day(moment) < earliest and role not in MAY_DATE_FAR_BACK:
        return Message(
            "the {what} can't be dated more than {days} days back ({moment});"
            " a secretary or someone above may record it",
            what=thing,
            days=limits.max_days_back,
            moment=shown(moment),
        )
    return None


def same_moment(effective: datetime | None, recorded: datetime) -> bool:
    """Whether an event happened when it was recorded (nothing to show beside it)."""
    return effective is None or local_day(effective) == local_day(recorded)
