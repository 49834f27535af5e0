"""The demo: a simulated month after the meeting, in a fresh SQLite file.

Officers move some items, others stall; a sweep runs every simulated day and the
escalations climb the ladder to the chair. Mail is delivered every day to a real
SMTP server the demo starts on this machine, which saves each message as an .eml
file; the chair and the chief secretaries get a digest every Monday. Each
simulated week is reported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from rich.console import Console

from db import escalations, workflow
from db.digest import record_digests
from db.engine import transaction
from db.loading import load_meeting, start_of_day
from db.sweep import SweepReport, run_sweep
from notifications.delivery import composer, deliver, mail_config
from states import effective
from states.calendar import local_day
from states.errors import TaskforceError
from states.meeting import load_meeting_file
from taskforce.app import App, open_app
from taskforce.board import print_board
from taskforce.data import BUNDLED_MEETING
from taskforce.mailbox import LocalMailbox
from taskforce.settings import Settings

DAYS = 30


@dataclass(frozen=True)
class Step:
    """One person's action on a day after the meeting: advance, acknowledge or snooze."""

    day: int
    key: str
    action: str
    actor: str
    fields: dict[str, str] = field(default_factory=dict)
    comment: str | None = None
    snooze_days: int = 0
    on: date | None = None  # when it happened, if before the day it is recorded


STEPS = (
    Step(3, "CSW-PUNJAB", "shortlist", "women.officer.punjab@example.org", {"shortlist_size": "9"}),
    # The bill is the Law Department's: the Women Development officer is refused.
    Step(4, "CMB-PUNJAB", "send_for_vetting", "women.officer.punjab@example.org"),
    Step(5, "CMB-PUNJAB", "send_for_vetting", "law.officer.punjab@example.org"),
    Step(6, "CSW-SINDH", "shortlist", "women.officer.sindh@example.org", {"shortlist_size": "7"}),
    # Punjab's secretary cannot act on a Sindh item: the demo shows the refusal.
    Step(
        6, "CSW-SINDH", "approve", "women.secretary.punjab@example.org", {"summary_number": "X-1"}
    ),
    Step(
        8,
        "CSW-PUNJAB",
        "approve",
        "women.secretary.punjab@example.org",
        {"summary_number": "SO(WD)/2026-114"},
    ),
    Step(10, "DHRC-SINDH", "nominate_members", "hr.officer.sindh@example.org", {"members": "11"}),
    Step(
        11,
        "CSW-PUNJAB",
        "notify",
        "women.officer.punjab@example.org",
        {"notification_number": "No. SO(WD)4-12/2026"},
    ),
    Step(
        12,
        "FSC-RULING-2023",
        "approve_plan",
        "law.secretary.federal@example.org",
        {"plan_reference": "MoLJ/FSC/2026-3"},
    ),
    Step(13, "CMB-PUNJAB", "vet", "law.secretary.punjab@example.org"),
    Step(
        16,
        "CSW-PUNJAB",
        "take_office",
        "women.officer.punjab@example.org",
        {"members_in_office": "9"},
    ),
    Step(
        17,
        "DHRC-SINDH",
        "hold_first_meeting",
        "hr.officer.sindh@example.org",
        {"first_meeting_on": "2026-06-29", "minutes_reference": "DHRC-S/01"},
    ),
    Step(18, "NAP-HR-07", "take_up", "police.officer.federal@example.org"),
    Step(
        19,
        "CSW-KP",
        "acknowledge",
        "cs.kp@example.org",
        comment="The Chief Minister's summary was held up by the budget session; moving it now.",
    ),
    Step(
        20,
        "NAP-HR-07",
        "report_completion",
        "police.officer.federal@example.org",
        {"evidence": "NPB circular 44/2026"},
    ),
    Step(
        20,
        "CSW-SINDH",
        "snooze",
        "women.secretary.sindh@example.org",
        comment="Awaiting the Chief Minister's return to sign the summary.",
        snooze_days=5,
    ),
    Step(22, "NAP-HR-07", "verify", "police.secretary.federal@example.org"),
    # Balochistan's bill is vetted and approved by the cabinet, and then waits: approved,
    # not introduced, as it has stood since 2013.
    Step(7, "CMB-BALOCHISTAN", "send_for_vetting", "law.officer.balochistan@example.org"),
    Step(17, "CMB-BALOCHISTAN", "vet", "law.secretary.balochistan@example.org"),
    Step(
        21,
        "CMB-BALOCHISTAN",
        "approve_in_cabinet",
        "cs.balochistan@example.org",
        {"cabinet_decision": "CAB-BAL-2026-7"},
    ),
    Step(
        24,
        "CMB-PUNJAB",
        "approve_in_cabinet",
        "cs.punjab@example.org",
        {"cabinet_decision": "CAB-2026-41"},
    ),
    # The assembly introduced the bill on 7 July; the chief secretary records it on 9 July,
    # dated the day it happened, so its stage clock runs from 7 July.
    Step(
        27,
        "CMB-PUNJAB",
        "introduce",
        "cs.punjab@example.org",
        {"bill_number": "Bill No. 12 of 2026", "introduced_on": "2026-07-07"},
        on=date(2026, 7, 7),
    ),
)


def run_demo(console: Console, database: Path, mail_folder: Path) -> None:
    """Replace `database` and `mail_folder` with the bundled meeting and a month after it."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    for old in mail_folder.glob("*.eml") if mail_folder.is_dir() else ():
        old.unlink()
    with LocalMailbox(mail_folder) as mailbox:
        settings = Settings(
            database_url=f"sqlite:///{database}",
            mail_transport="smtp",
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
        )
        application = open_app(settings)
        try:
            _play(console, application)
        finally:
            application.close()
        received = mailbox.received
    console.print(
        f"\nThe local mail server received {received} messages, each saved as an .eml file"
        f" (open it in any mail program) in {mail_folder}/. What reached the chair:"
    )
    for path in sorted(mail_folder.glob("*-chair-example-org-*.eml")):
        console.print(f"  {path}")
    urdu = sorted(p.name for p in mail_folder.glob("*.eml") if _is_urdu(p))
    if urdu:
        console.print(f"  and {len(urdu)} in Urdu, e.g. {mail_folder / urdu[0]}")
    console.print(
        f"\nThe demo database is {database}. Explore it with, for example:\n"
        f"  export TASKFORCE_DATABASE_URL=sqlite:///{database}\n"
        "  .venv/bin/taskforce escalations CSW-BALOCHISTAN\n"
        "  .venv/bin/taskforce list --stalled --now 2026-07-12\n"
        "  .venv/bin/taskforce outbox list"
    )


def _is_urdu(path: Path) -> bool:
    return b"Content-Language: ur" in path.read_bytes()[:4000]


@dataclass
class Week:
    """What happened in one simulated week, for the weekly report."""

    lines: list[str] = field(default_factory=list)
    escalated: dict[tuple[int, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    reminded: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    mailed: int = 0
    digests: list[str] = field(default_factory=list)


def _play(console: Console, application: App) -> None:
    meeting = load_meeting_file(BUNDLED_MEETING)
    midnight = start_of_day(meeting.meeting.held_on)
    with transaction(application.sessions) as session:
        report = load_meeting(
            session,
            application.catalogue,
            meeting,
            now=midnight + timedelta(hours=15),
            calendar=application.calendar,
        )
    console.print(
        f"[bold]{meeting.meeting.title}[/bold], {meeting.meeting.held_on:%-d %B %Y}:"
        f" {len(report.commitments_added)} commitments, {len(report.people_added)} people"
        f" loaded. Playing {DAYS} days; a sweep runs every morning at 10:00."
    )
    week = Week()
    last: SweepReport | None = None
    for day in range(1, DAYS + 1):
        for step in (s for s in STEPS if s.day == day):
            week.lines.append(_act(application, step, at=midnight + timedelta(days=day, hours=9)))
        morning = midnight + timedelta(days=day, hours=10)
        last = run_sweep(
            application.sessions,
            application.catalogue,
            application.calendar,
            now=morning,
            simulated=True,  # the demo's own database, on the simulated clock
        )
        if local_day(morning).weekday() == 0:  # Monday: the digests
            with transaction(application.sessions) as session:
                made = record_digests(
                    session, application.catalogue, application.calendar, now=morning
                )
                week.digests += [d.recipient_email for d in made]
        week.mailed += _deliver(application, at=morning + timedelta(minutes=5))
        for notice in last.escalations:
            week.escalated[(notice.level, notice.role)].append(notice.key)
        week.reminded += [n.key for n in last.reminders]
        week.completed += last.completed_parents
        if day % 7 == 0 or day == DAYS:
            _report_week(console, week, first=day - (day - 1) % 7, last=day, midnight=midnight)
            week = Week()
    assert last is not None
    _report_end(console, application, last, midnight + timedelta(days=DAYS, hours=17))


def _deliver(application: App, *, at: datetime) -> int:
    """Send what is due in the outbox to the demo's SMTP server; returns how many were sent."""
    mail = mail_config(application.settings)
    report = deliver(
        application.sessions,
        mail.transports(),
        composer(application.catalogue, base_url=mail.base_url),
        from_addr=mail.from_addr,
        now=at,
        max_attempts=mail.max_attempts,
    )
    return len(report.sent)


def _act(application: App, step: Step, *, at: datetime) -> str:
    try:
        with transaction(application.sessions) as session:
            if step.action == "acknowledge":
                escalations.acknowledge(
                    session,
                    key=step.key,
                    actor_email=step.actor,
                    reason=step.comment or "",
                    now=at,
                )
                return f"{step.key}: escalation acknowledged by {step.actor}"
            if step.action == "snooze":
                until = local_day(at) + timedelta(days=step.snooze_days)
                escalations.snooze(
                    session,
                    application.catalogue,
                    key=step.key,
                    actor_email=step.actor,
                    until=until,
                    reason=step.comment or "",
                    now=at,
                    today=local_day(at),
                )
                return f"{step.key}: escalations snoozed until {until:%-d %B} by {step.actor}"
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
                effective_at=effective.start_of_day(step.on, now=at) if step.on else None,
            )
            line = f"{step.key}: {step.action} → {result.commitment.stage} ({step.actor})"
            if step.on:
                line += f", dated {step.on:%-d %B}"
            return line + "".join(f"; {parent} completed" for parent in result.rolled_up)
    except TaskforceError as refused:
        return f"{step.key}: [red]refused[/red] — {refused.message}"


def _report_week(
    console: Console, week: Week, *, first: int, last: int, midnight: datetime
) -> None:
    start = local_day(midnight + timedelta(days=first))
    end = local_day(midnight + timedelta(days=last))
    console.print(f"\n[bold]Week of {start:%-d %B} to {end:%-d %B}[/bold]")
    for line in week.lines:
        console.print(f"  {line}")
    if week.reminded:
        console.print(f"  reminders before due: {', '.join(sorted(set(week.reminded)))}")
    for (level, role), keys in sorted(week.escalated.items()):
        who = "[bold red]the chair[/bold red]" if role == "chair" else role.replace("_", " ")
        console.print(f"  escalated to level {level} ({who}): {', '.join(sorted(set(keys)))}")
    for key in week.completed:
        console.print(f"  {key}: completed by the system (every child ended)")
    if week.digests:
        console.print(f"  digests: to {', '.join(week.digests)}")
    console.print(f"  mail delivered: {week.mailed} messages")
    if not (week.lines or week.escalated or week.reminded):
        console.print("  nothing moved and nothing new was escalated")


def _report_end(console: Console, application: App, last: SweepReport, at: datetime) -> None:
    console.print(
        f"\n[bold]After {DAYS} days[/bold]: {last.stalled} commitments stalled;"
        f" by ladder level reached: "
        + ", ".join(f"level {level}: {n}" for level, n in sorted(last.by_level.items()))
    )
    with transaction(application.sessions) as session:
        chair = sorted(
            {key for e, key in escalations.list_escalations(session) if e.role == "chair"}
        )
        console.print(f"The chair has been alerted about {len(chair)}: {', '.join(chair)}\n")
        print_board(console, session, application.catalogue, jurisdiction=None, today=at)
