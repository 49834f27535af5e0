"""Stall detection: when a commitment is due, how overdue it is, which ladder rung it reached.

Pure: the caller passes the calendar and `now`. A commitment is due at the earlier
of the end of its stage's time limit (counted by the stage's clock) and the end of
its overall deadline day;
past that it is stalled, and the working days since decide the ladder level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import isodate

from states.calendar import WorkingCalendar, end_of_day, local_day
from states.definition import Clock, LadderLevel, Pipeline, Stage
from states.pausing import deadline_after_pauses
from states.rules import CommitmentState, Status


class StallReason(StrEnum):
    """Why a commitment counts as stalled."""

    STAGE_LIMIT = "stage_limit"
    DEADLINE = "deadline"


@dataclass(frozen=True)
class Due:
    """When a commitment in its current stage becomes overdue, and on which clock."""

    at: datetime
    reason: StallReason


@dataclass(frozen=True)
class Stall:
    """A stalled commitment: since when, how many working days, and the rung reached."""

    due: Due
    overdue_days: int
    level: LadderLevel | None


def due(
    pipeline: Pipeline, state: CommitmentState, *, deadline: date | None, calendar: WorkingCalendar
) -> Due | None:
    """The moment the commitment becomes overdue where it stands, or None if it never does.

    The stage clock restarts whenever the commitment enters a stage; the deadline
    clock runs from the start. The earlier one wins. Time the item stood paused moves
    each clock on by as much (the deadline by whole days, as `deadline_after_pauses`
    says: the day shown as its deadline, and after which the sweep lapses it, is the
    day it is due at the end of); while paused it is not due at all.
    """
    if state.status is not Status.OPEN or state.paused_at is not None:
        return None  # a paused item's clocks stand still: it is never due while paused
    candidates: list[Due] = []
    stage = pipeline.stage(state.stage)
    if stage.time_limit is not None:
        at = stage_due(stage, state.stage_entered_at, state.jurisdiction, calendar)
        candidates.append(Due(at=at + state.stage_paused, reason=StallReason.STAGE_LIMIT))
    if deadline is not None:
        at = end_of_day(deadline_after_pauses(deadline, state.deadline_paused))
        candidates.append(Due(at=at, reason=StallReason.DEADLINE))
    return min(candidates, key=lambda d: d.at) if candidates else None


def stage_due(
    stage: Stage, entered_at: datetime, jurisdiction: str, calendar: WorkingCalendar
) -> datetime:
    """The end (midnight, Pakistan time) of the last day of `stage`'s time limit, counted by
    its clock from the day it was entered: working days of `jurisdiction`, calendar days,
    or calendar months (entered on 31 January, one month ends on the last of February)."""
    assert stage.time_limit is not None
    if stage.clock is Clock.WORKING_DAYS:
        return calendar.due_at(entered_at, stage.time_limit, jurisdiction)
    entered = local_day(entered_at)
    if stage.clock is Clock.CALENDAR_DAYS:
        return end_of_day(entered + timedelta(days=stage.time_limit))
    last_day: date = entered + isodate.Duration(months=stage.time_limit)
    return end_of_day(last_day)


def ladder_level(pipeline: Pipeline, overdue_days: int) -> LadderLevel | None:
    """The highest rung whose `after` the overdue working days have reached."""
    reached = [rung for rung in pipeline.ladder if overdue_days >= rung.after]
    return reached[-1] if reached else None


def assess(
    pipeline: Pipeline,
    state: CommitmentState,
    *,
    deadline: date | None,
    now: datetime,
    calendar: WorkingCalendar,
) -> Stall | None:
    """The commitment's stall at `now`, or None while it is on time (or closed)."""
    when = due(pipeline, state, deadline=deadline, calendar=calendar)
    if when is None or now < when.at:
        return None
    overdue = calendar.overdue_working_days(when.at, now, state.jurisdiction)
    return Stall(due=when, overdue_days=overdue, level=ladder_level(pipeline, overdue))


@dataclass(frozen=True)
class TimeLimitAction:
    """The action the system takes on a commitment whose stage's time limit has passed."""

    action: str
    ended: datetime
    reason: str


def time_limit_action(
    pipeline: Pipeline, state: CommitmentState, *, now: datetime, calendar: WorkingCalendar
) -> TimeLimitAction | None:
    """The stage's `on_time_limit` action once its time limit has passed at `now`, else None.

    The limit counts by the stage's clock from when the commitment entered it, moved on by
    the time it stood paused; a paused item has no due time, so nothing is taken while paused.
    """
    stage = pipeline.stage(state.stage)
    if (
        state.status is not Status.OPEN
        or state.paused_at is not None
        or stage.on_time_limit is None
        or stage.time_limit is None
    ):
        return None
    ended = stage_due(stage, state.stage_entered_at, state.jurisdiction, calendar)
    ended += state.stage_paused
    if now < ended:
        return None
    action = next(
        t for t in pipeline.transitions_from(stage.key) if t.action == stage.on_time_limit
    )
    unit = {
        Clock.WORKING_DAYS: "working days",
        Clock.CALENDAR_DAYS: "calendar days",
        Clock.MONTHS: "months",
    }[stage.clock]
    reason = (
        f"{action.title.en}: the time limit of {stage.title.en} ({stage.time_limit} {unit})"
        f" ended on {local_day(ended - timedelta(microseconds=1)):%-d %B %Y}"
    )
    return TimeLimitAction(action=action.action, ended=ended, reason=reason)
