"""The demo: the bundled meeting loaded into a fresh SQLite file, officers at work, the board."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from db import workflow
from db.engine import transaction
from db.loading import load_meeting, start_of_day
from states.errors import TaskforceError
from states.meeting import load_meeting_file
from taskforce.app import App, open_app
from taskforce.board import print_board
from taskforce.data import BUNDLED_MEETING
from taskforce.settings import Settings


@dataclass(frozen=True)
class Step:
    """One officer's action, some days after the meeting."""

    day: int
    key: str
    action: str
    actor: str
    fields: dict[str, str] = field(default_factory=dict)
    comment: str | None = None


STEPS = (
    Step(2, "CMB-PUNJAB", "send_for_vetting", "law.officer.punjab@example.org"),
    Step(6, "CMB-PUNJAB", "vet", "law.secretary.punjab@example.org"),
    Step(3, "CSW-PUNJAB", "shortlist", "women.officer.punjab@example.org", {"shortlist_size": "9"}),
    Step(
        8,
        "CSW-PUNJAB",
        "approve",
        "women.secretary.punjab@example.org",
        {"summary_number": "SO(WD)/2026-114"},
    ),
    Step(5, "CSW-SINDH", "shortlist", "women.officer.sindh@example.org", {"shortlist_size": "7"}),
    # Punjab's secretary cannot act on a Sindh item: the demo shows the refusal.
    Step(
        6, "CSW-SINDH", "approve", "women.secretary.punjab@example.org", {"summary_number": "X-1"}
    ),
    Step(4, "DHRC-SINDH", "nominate_members", "hr.officer.sindh@example.org", {"members": "11"}),
    Step(
        9,
        "DHRC-SINDH",
        "hold_first_meeting",
        "hr.officer.sindh@example.org",
        {"first_meeting_on": "2026-06-20", "minutes_reference": "DHRC-S/01"},
    ),
    Step(
        7,
        "FSC-RULING-2023",
        "approve_plan",
        "law.secretary.federal@example.org",
        {"plan_reference": "MoLJ/FSC/2026-3"},
    ),
    Step(10, "NAP-HR-07", "take_up", "police.officer.federal@example.org"),
    Step(
        12,
        "NAP-HR-07",
        "report_completion",
        "police.officer.federal@example.org",
        {"evidence": "NPB circular 44/2026"},
    ),
    Step(13, "NAP-HR-07", "verify", "police.secretary.federal@example.org"),
)


def run_demo(console: Console, database: Path) -> None:
    """Replace `database` with the bundled meeting and two weeks of officers' work."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    settings = Settings(database_url=f"sqlite:///{database}")
    application = open_app(settings)
    try:
        _play(console, application)
    finally:
        application.close()
    console.print(
        f"\nThe demo database is {database}. Explore it with, for example:\n"
        f"  TASKFORCE_DATABASE_URL=sqlite:///{database} .venv/bin/taskforce show CSW-PUNJAB"
    )


def _play(console: Console, application: App) -> None:
    meeting = load_meeting_file(BUNDLED_MEETING)
    opened_at = start_of_day(meeting.meeting.held_on) + timedelta(hours=15)
    with transaction(application.sessions) as session:
        report = load_meeting(
            session, application.catalogue, meeting, now=opened_at, calendar=application.calendar
        )
    console.print(
        f"[bold]{meeting.meeting.title}[/bold], {meeting.meeting.held_on:%-d %B %Y}:"
        f" {len(report.commitments_added)} commitments, {len(report.people_added)} people loaded."
    )
    console.print("\nOfficers at work over the following two weeks:")
    for step in sorted(STEPS, key=lambda s: s.day):
        at = start_of_day(meeting.meeting.held_on) + timedelta(days=step.day, hours=11)
        try:
            with transaction(application.sessions) as session:
                result = workflow.advance(
                    session,
                    application.catalogue,
                    key=step.key,
                    action=step.action,
                    actor_email=step.actor,
                    fields=step.fields,
                    comment=step.comment,
                    now=at,
                    calendar=application.calendar,
                )
                stage = result.commitment.stage
            console.print(
                f"  day {step.day:>2}  {step.key}: {step.action} → {stage}  ({step.actor})"
            )
        except TaskforceError as refused:
            console.print(
                f"  day {step.day:>2}  {step.key}: [red]refused[/red] — {refused.message}"
            )
    console.print()
    final_day = start_of_day(meeting.meeting.held_on) + timedelta(days=14, hours=17)
    with transaction(application.sessions) as session:
        print_board(console, session, application.catalogue, jurisdiction=None, today=final_day)
