"""Governance checks: what makes a valid pipeline or calendar still fail the people it serves.

A file can be well formed and yet let a decision stall unseen: a stage nobody is
held to, a ladder that stops short of the chair, a calendar nobody has brought up
to date, a procedure that cites no law or decision for its stages. These checks
find such gaps; `taskforce check` reports them. Pure: `today` is an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from states.actors import Role
from states.calendar import WorkingCalendar
from states.definition import Pipeline

# The calendar's gazetted days should be known this far ahead.
CALENDAR_HORIZON = timedelta(days=365)
# Roles that hold no items: a stage they own waits on nobody.
_NOT_HOLDERS = {Role.SYSTEM, Role.ADMINISTRATOR}


@dataclass(frozen=True)
class Finding:
    """One gap: what it concerns, and what is wrong with it."""

    subject: str
    problem: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.problem}"


def pipeline_findings(pipeline: Pipeline, *, bundled: bool) -> list[Finding]:
    """The gaps of one pipeline; a bundled one must also cite its sources."""
    subject = f"pipeline {pipeline.key} version {pipeline.version}"
    found = []
    for stage in pipeline.stages:
        if stage.terminal:
            continue
        if stage.owner in _NOT_HOLDERS:
            found.append(
                Finding(
                    subject, f"stage {stage.key!r} is owned by {stage.owner}, who holds no items"
                )
            )
        if stage.time_limit is None and pipeline.on_children_done is None:
            found.append(
                Finding(
                    subject,
                    f"stage {stage.key!r} has no time limit: an item can stay there unescalated",
                )
            )
    if not pipeline.ladder:
        found.append(Finding(subject, "its ladder is empty: a stall is never escalated"))
    elif pipeline.ladder[-1].notify is not Role.CHAIR:
        found.append(
            Finding(
                subject,
                f"its ladder ends at {pipeline.ladder[-1].notify}, not at the chair",
            )
        )
    if bundled and not pipeline.cites:
        found.append(
            Finding(
                subject,
                "cites no source (an Article, an Act, rules of procedure or the meeting's"
                " decision) for its procedure",
            )
        )
    return found


def calendar_findings(calendar: WorkingCalendar | None, *, today: date) -> list[Finding]:
    """Whether the closed days are known for the next twelve months (`None`: no file)."""
    subject = "calendar"
    if calendar is None:
        return [
            Finding(
                subject,
                "no calendar file: only weekends and Pakistan's public holidays count, with the"
                " Islamic ones on estimated dates; gazetted closed days are unknown",
            )
        ]
    horizon = today + CALENDAR_HORIZON
    if calendar.reviewed_through is None:
        return [
            Finding(
                subject,
                "it does not say how far ahead its closed days were reviewed"
                f" (reviewed_through); review them through {horizon}",
            )
        ]
    if calendar.reviewed_through < horizon:
        return [
            Finding(
                subject,
                f"its closed days are reviewed only through {calendar.reviewed_through};"
                f" review them through {horizon}, twelve months ahead",
            )
        ]
    return []
