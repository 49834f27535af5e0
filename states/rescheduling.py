"""Due times moved by a changed working calendar.

When an administrator edits the calendar file (a holiday announced at short notice,
the Sindh government closing its offices for a day), the due times of open items
counted in working days may move. The rule here says, for one item, what its due
time is under the new calendar and, when that differs from the one stored, the
`rescheduled` event that records it and why: the days the calendar now closes (or
opens) in the item's place within the time it was given. The database applies it
(db/rescheduling.py) only when the calendar's fingerprint differs from the one last
applied, so an unchanged calendar costs nothing.

Pure: the calendar, the stored due time and `now` are arguments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from states import stalls
from states.actors import SYSTEM_ACTOR, covers
from states.calendar import ListedDay, WorkingCalendar, local_day
from states.definition import Pipeline
from states.rules import CommitmentState, Event, EventKind, Status

# The event's fields: the due day before and after, and the listed days that moved it.
FROM = "from"
TO = "to"
CLOSED = "closed"
OPENED = "opened"
WHY = "why"


def fingerprint(calendar: WorkingCalendar) -> str:
    """A digest of everything that decides which days are working days in `calendar`.

    The listed closed and open days (in a fixed order, so reordering the file or
    editing its comments changes nothing) and the version of the `holidays` package,
    whose public holidays an upgrade may move. `reviewed_through` is left out: it
    moves no due time.
    """
    import holidays  # the package's version is part of what the calendar means

    def listed(days: tuple[ListedDay, ...]) -> list[list[str]]:
        return sorted([d.date.isoformat(), d.jurisdiction, d.name] for d in days)

    content = {
        "closed": listed(calendar.closed_days),
        "open": listed(calendar.open_days),
        "holidays": str(getattr(holidays, "__version__", "")),
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class Rescheduled:
    """An item's new due time under a changed calendar, and the event that records it."""

    due_at: dt.datetime | None
    event: Event


def due_day(due_at: dt.datetime) -> dt.date:
    """The Pakistan day on whose end (or within which) `due_at` falls: the last day given."""
    return local_day(due_at - dt.timedelta.resolution)


def reschedule(
    pipeline: Pipeline,
    state: CommitmentState,
    *,
    deadline: dt.date | None,
    stored_due: dt.datetime | None,
    calendar: WorkingCalendar,
    now: dt.datetime,
) -> Rescheduled | None:
    """The item's due time under `calendar`, if it differs from `stored_due`; else None.

    A closed or paused item has no due time to move (a paused one gets the calendar
    when it resumes). Only a stage counted in working days depends on the calendar;
    a clock of calendar days or months and the deadline are never moved by it.
    """
    if state.status is not Status.OPEN or state.paused_at is not None:
        return None
    when = stalls.due(pipeline, state, deadline=deadline, calendar=calendar)
    new_due = when.at if when is not None else None
    if new_due == stored_due:
        return None
    fields = {
        FROM: due_day(stored_due).isoformat() if stored_due is not None else "",
        TO: due_day(new_due).isoformat() if new_due is not None else "",
    }
    fields |= _why(state, stored_due, new_due, calendar)
    event = Event(
        kind=EventKind.RESCHEDULED,
        at=now,
        actor_email=SYSTEM_ACTOR.email,
        actor_role=SYSTEM_ACTOR.role,
        action=None,
        from_stage=None,
        to_stage=state.stage,
        fields={name: value for name, value in fields.items() if value},
        comment=None,
    )
    return Rescheduled(due_at=new_due, event=event)


def _why(
    state: CommitmentState,
    before: dt.datetime | None,
    after: dt.datetime | None,
    calendar: WorkingCalendar,
) -> dict[str, str]:
    """The listed days of the item's place within its counted time that explain the move.

    Later: the days the calendar closes there; earlier: the days it opens. Without the
    previous calendar this names every such listed day in the time counted, which is
    nearly always the one just added: a calendar lists a handful of days a year.
    """
    if before is None or after is None:
        return {}
    later = after > before
    first = local_day(state.stage_entered_at)
    last = max(due_day(before), due_day(after))
    days: tuple[ListedDay, ...] = calendar.closed_days if later else calendar.open_days
    found = sorted(
        (d for d in days if first < d.date <= last and covers(d.jurisdiction, state.jurisdiction)),
        key=lambda d: (d.date, d.jurisdiction),
    )
    if not found:
        return {}
    return {
        CLOSED if later else OPENED: ",".join(dict.fromkeys(d.date.isoformat() for d in found)),
        WHY: "; ".join(dict.fromkeys(d.name for d in found)),
    }
