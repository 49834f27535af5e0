"""The sweep on a real database: each rung of a stall is escalated once, to the right people.

The bundled 8th meeting (Friday 12 June 2026) gave the Provincial Commissions on the
Status of Women (CSW-*) seven working days to invite nominations: they fall due as
Tuesday 23 June ends in Pakistan (19:00 UTC). Ashura closes offices on 25 and 26 June,
so the first overdue working days are 24 June (1), 29 June (2), 30 June (3), 1 July
(4), 2 July (5: the chief secretary) and 7 July (8: the chair).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from db import escalations, pipelines, queries, workflow
from db.engine import make_engine, session_factory, transaction
from db.models import Commitment, Escalation, OutboxMessage, Person
from db.sweep import SweepReport, run_sweep, stalled_ids_query
from states.actors import covers, province_of
from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.districts import bundled_districts
from states.errors import DefinitionError
from states.meeting import district_child_key

Sweep = Callable[..., SweepReport]
Stored = Callable[..., dict[str, Any]]
Escalations = Callable[..., list[dict[str, Any]]]
Walk = Callable[..., workflow.Advanced]

CHAIR = "chair@example.org"
# Each commission with the person on each rung of its ladder: officer, secretary,
# chief secretary, chair.
COMMISSIONS = {
    f"CSW-{name.upper()}": (
        f"women.officer.{name}@example.org",
        f"women.secretary.{name}@example.org",
        f"cs.{name}@example.org",
        CHAIR,
    )
    for name in ("punjab", "sindh", "kp", "balochistan")
}
LADDER_ROLES = ("officer", "secretary", "chief_secretary", "chair")

LONG_AFTER = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)  # a Monday, 22 working days overdue
FIRST_OVERDUE_DAY = datetime(2026, 6, 24, 5, 0, tzinfo=UTC)
SECOND_OVERDUE_DAY = datetime(2026, 6, 29, 5, 0, tzinfo=UTC)
JOIN_SECONDS = 60


def move(
    sessions: sessionmaker[Session],
    catalogue: Catalogue,
    key: str,
    action: str,
    actor_email: str,
    *,
    now: datetime,
    fields: dict[str, str] | None = None,
) -> workflow.Advanced:
    """One advance at a moment of the test's choosing."""
    with transaction(sessions) as session:
        return workflow.advance(
            session,
            catalogue,
            key=key,
            action=action,
            actor_email=actor_email,
            fields=fields,
            now=now,
        )


def commissions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if row["key"] in COMMISSIONS]


def table_counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """How many escalations and outbox messages are stored."""
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Escalation)) or 0,
            session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
        )


def test_a_long_stall_reaches_the_chair_once_through_every_rung(
    loaded: Catalogue,
    sweep: Sweep,
    escalations_stored: Escalations,
    sessions: sessionmaker[Session],
) -> None:
    report = sweep(LONG_AFTER)

    expected = [
        {
            "key": key,
            "stage_seq": 1,
            "level": level,
            "role": LADDER_ROLES[level - 1],
            "reason": "stage_limit",
            "recipients": [ladder[level - 1]],
            "missing_role": None,
            "messages": [ladder[level - 1]],
        }
        for key, ladder in sorted(COMMISSIONS.items())
        for level in (1, 2, 3, 4)
    ]
    stored = commissions(escalations_stored())
    assert [{k: row[k] for k in expected[0]} for row in stored] == expected
    assert all(row["created_at"] == LONG_AFTER for row in stored)
    notices = [n for n in report.escalations if n.key in COMMISSIONS]
    assert sorted((n.key, n.level, n.recipients) for n in notices) == [
        (row["key"], row["level"], tuple(row["recipients"])) for row in expected
    ]
    # Every recipient really holds the rung's role, in or above the commission's province.
    with sessions() as session:
        holders = {p.email: p for p in session.scalars(select(Person))}
        jurisdiction = dict(session.execute(select(Commitment.key, Commitment.jurisdiction)).all())
    for row in stored:
        person = holders[row["messages"][0]]
        assert person.role == row["role"]
        assert covers(person.jurisdiction, jurisdiction[row["key"]])
    assert {n.overdue_days for n in notices} == {22}


@pytest.mark.parametrize(
    "again",
    [
        pytest.param(LONG_AFTER, id="same-time"),
        pytest.param(datetime(2026, 8, 31, 5, 0, tzinfo=UTC), id="a-month-later"),
    ],
)
def test_sweeping_again_sends_nothing_new(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session], again: datetime
) -> None:
    first = sweep(LONG_AFTER)
    recorded = table_counts(sessions)
    assert recorded[0] == len(first.escalations) > 0

    second = sweep(again)

    assert second.escalations == second.reminders == []
    assert table_counts(sessions) == recorded
    # Still stalled, and still reported as such.
    assert second.stalled == first.stalled


def test_a_new_stage_starts_a_new_stall_episode_from_the_first_rung(
    loaded: Catalogue,
    sweep: Sweep,
    escalations_stored: Escalations,
    sessions: sessionmaker[Session],
) -> None:
    officer = COMMISSIONS["CSW-PUNJAB"][0]
    sweep(FIRST_OVERDUE_DAY)
    assert [r["level"] for r in escalations_stored("CSW-PUNJAB")] == [1]

    # Shortlisted on Wednesday 24 June: five working days from then end on Friday 3 July.
    moved = move(
        sessions,
        loaded,
        "CSW-PUNJAB",
        "shortlist",
        officer,
        fields={"shortlist_size": "12"},
        now=datetime(2026, 6, 24, 6, 0, tzinfo=UTC),
    )
    new_episode = moved.commitment.stage_seq
    assert new_episode == 2

    on_time = sweep(datetime(2026, 7, 3, 5, 0, tzinfo=UTC))
    # The others, still inviting nominations, have meanwhile reached the chief secretary;
    # the shortlisted one is not overdue, and its officer is reminded of the new due day.
    assert sorted((n.key, n.level) for n in on_time.escalations if n.key in COMMISSIONS) == [
        (key, level) for key in ("CSW-BALOCHISTAN", "CSW-KP", "CSW-SINDH") for level in (2, 3)
    ]
    assert [(n.key, n.recipients) for n in on_time.reminders if n.key in COMMISSIONS] == [
        ("CSW-PUNJAB", (officer,))
    ]

    late = sweep(datetime(2026, 7, 6, 5, 0, tzinfo=UTC))

    assert [
        (n.key, n.level, n.overdue_days) for n in late.escalations if n.key == "CSW-PUNJAB"
    ] == [("CSW-PUNJAB", 1, 1)]
    rows = escalations_stored("CSW-PUNJAB")
    # The first episode's record stays; the new one starts again at the officer.
    assert [(r["stage_seq"], r["level"]) for r in rows] == [
        (1, 1),
        (new_episode, 0),
        (new_episode, 1),
    ]
    assert rows[-1]["messages"] == [officer]


def test_two_sweeps_at_once_record_each_escalation_once(
    database_url: str,
    loaded: Catalogue,
    escalations_stored: Escalations,
    sessions: sessionmaker[Session],
) -> None:
    engines = [make_engine(database_url) for _ in range(2)]
    barrier = threading.Barrier(2, timeout=JOIN_SECONDS)
    reports: list[SweepReport | BaseException | None] = [None, None]

    def run(slot: int) -> None:
        try:
            barrier.wait()
            # Small batches interleave the two sweeps' transactions.
            reports[slot] = run_sweep(
                session_factory(engines[slot]),
                loaded,
                WorkingCalendar(),
                now=LONG_AFTER,
                batch_size=3,
            )
        except BaseException as error:
            reports[slot] = error

    threads = [threading.Thread(target=run, args=(slot,), daemon=True) for slot in (0, 1)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=JOIN_SECONDS)
        assert not any(thread.is_alive() for thread in threads), "a sweep is still running"
    finally:
        for engine in engines:
            engine.dispose()
    for outcome in reports:
        if isinstance(outcome, BaseException):
            raise outcome
    done = [r for r in reports if isinstance(r, SweepReport)]
    assert len(done) == 2

    notices = [(n.key, n.level) for report in done for n in report.escalations]
    rows = escalations_stored()
    assert len(notices) == len(set(notices)), "a rung was reported by both sweeps"
    assert sorted(notices) == sorted((r["key"], r["level"]) for r in rows)
    assert len(commissions(rows)) == 16
    # One message per recipient of each escalation, none twice.
    assert table_counts(sessions)[1] == sum(len(r["recipients"]) for r in rows)
    assert all(r["messages"] == sorted(r["recipients"]) for r in rows)


def test_the_report_counts_the_stalled_by_level_and_province(
    loaded: Catalogue,
    sweep: Sweep,
    escalations_stored: Escalations,
    sessions: sessionmaker[Session],
) -> None:
    report = sweep(LONG_AFTER)

    highest: dict[str, int] = {}
    for row in escalations_stored():
        highest[row["key"]] = max(highest.get(row["key"], 0), row["level"])
    with sessions() as session:
        jurisdiction = dict(session.execute(select(Commitment.key, Commitment.jurisdiction)).all())
    assert report.stalled == len(highest)
    assert report.by_level == Counter(highest.values())
    assert report.by_jurisdiction == Counter(province_of(jurisdiction[k]) for k in highest)
    # The Lahore committee counts towards Punjab.
    assert "DHRC-PUNJAB-LAHORE" in highest
    assert "punjab/lahore" not in report.by_jurisdiction
    as_dict = report.as_dict()
    assert as_dict["stalled"] == report.stalled
    assert sum(as_dict["by_level"].values()) == sum(as_dict["by_jurisdiction"].values())


def test_a_rung_nobody_holds_goes_to_the_next_rung_and_is_reported(
    loaded: Catalogue,
    sweep: Sweep,
    escalations_stored: Escalations,
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        retired = session.scalar(select(Person).where(Person.email == "cs.sindh@example.org"))
        assert retired is not None
        retired.active = False

    report = sweep(LONG_AFTER)

    missing = sorted(
        (n.key, n.level, n.missing_role, n.recipients) for n in report.missing_recipients
    )
    # NAP-HR-15 is in Sindh too, but its third rung is the federal secretary's. Sindh's
    # committee and each of its district committees climb to the chief secretary.
    sindh_districts = [
        district_child_key("DHRC-SINDH", district.key)
        for district in bundled_districts().in_province("sindh")
    ]
    assert len(sindh_districts) == 30
    assert [m for m in missing if m[2] == "chief_secretary"] == [
        (key, 3, "chief_secretary", (CHAIR,))
        for key in sorted(("CSW-SINDH", "DHRC-SINDH", *sindh_districts))
    ]
    # A province's committee has no deputy commissioner: its first rung goes to the
    # Secretary (Human Rights) and is reported, as for any rung nobody holds.
    assert ("DHRC-PUNJAB", 1, "deputy_commissioner", ("hr.secretary.punjab@example.org",)) in (
        missing
    )
    rung = next(r for r in escalations_stored("CSW-SINDH") if r["level"] == 3)
    assert (rung["role"], rung["missing_role"]) == ("chief_secretary", "chief_secretary")
    assert rung["recipients"] == rung["messages"] == [CHAIR]
    assert report.as_dict()["missing_recipients"][0]["missing_role"] == "chief_secretary"
    # Punjab's chief secretary is still there and hears as before.
    punjab = next(r for r in escalations_stored("CSW-PUNJAB") if r["level"] == 3)
    assert punjab["messages"] == ["cs.punjab@example.org"]


def test_a_snoozed_commitment_is_held_back_until_the_day_after_its_snooze(
    loaded: Catalogue,
    sweep: Sweep,
    escalations_stored: Escalations,
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        escalations.snooze(
            session,
            loaded,
            key="CSW-KP",
            actor_email=COMMISSIONS["CSW-KP"][1],
            until=date(2026, 6, 28),
            reason="the shortlisting committee meets on Saturday",
            now=datetime(2026, 6, 23, 5, 0, tzinfo=UTC),
            today=date(2026, 6, 23),
        )

    held = [
        sweep(FIRST_OVERDUE_DAY),
        sweep(datetime(2026, 6, 28, 5, 0, tzinfo=UTC)),  # the last day of the snooze
    ]
    for report in held:
        escalated = {n.key for n in report.escalations}
        assert "CSW-KP" not in escalated
    assert "CSW-PUNJAB" in {n.key for n in held[0].escalations}
    assert [r for r in escalations_stored("CSW-KP") if r["level"] > 0] == []

    after = sweep(SECOND_OVERDUE_DAY)

    # Held back, not forgotten: both rungs reached by then go out together.
    assert [(n.key, n.level) for n in after.escalations if n.key == "CSW-KP"] == [
        ("CSW-KP", 1),
        ("CSW-KP", 2),
    ]


def test_an_exempt_commitment_is_never_reminded_nor_escalated(
    loaded: Catalogue,
    sweep: Sweep,
    escalations_stored: Escalations,
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        escalations.exempt(
            session,
            key="CSW-BALOCHISTAN",
            actor_email=CHAIR,
            reason="appointments held up by a court stay",
            now=datetime(2026, 6, 15, 5, 0, tzinfo=UTC),
        )

    reports = [sweep(moment) for moment in (datetime(2026, 6, 16, 5, 0, tzinfo=UTC), LONG_AFTER)]

    assert escalations_stored("CSW-BALOCHISTAN") == []
    for report in reports:
        assert "CSW-BALOCHISTAN" not in {n.key for n in report.escalations + report.reminders}
    # The other commissions were reminded and escalated as usual.
    assert {n.key for n in reports[0].reminders} >= {"CSW-PUNJAB", "CSW-SINDH", "CSW-KP"}
    assert {n.key for n in reports[1].escalations} >= {"CSW-PUNJAB", "CSW-SINDH", "CSW-KP"}


def test_the_officer_is_reminded_once_within_the_pipelines_reminder_window(
    loaded: Catalogue,
    sweep: Sweep,
    escalations_stored: Escalations,
    sessions: sessionmaker[Session],
) -> None:
    assert loaded.latest("commission_appointment").reminder_days_before == 5
    # Monday 15 June: six working days (16-19, 22, 23 June) before the due day.
    early = sweep(datetime(2026, 6, 15, 5, 0, tzinfo=UTC))
    assert not {n.key for n in early.reminders} & set(COMMISSIONS)

    # Tuesday 16 June: five working days left.
    reminded = sweep(datetime(2026, 6, 16, 5, 0, tzinfo=UTC))

    assert sorted(
        (n.key, n.level, n.role, n.recipients) for n in reminded.reminders if n.key in COMMISSIONS
    ) == [(key, 0, "officer", (ladder[0],)) for key, ladder in sorted(COMMISSIONS.items())]
    assert reminded.escalations == []
    with sessions() as session:
        messages = session.execute(
            select(OutboxMessage.kind, OutboxMessage.recipient_email, OutboxMessage.subject)
            .join(Escalation, Escalation.id == OutboxMessage.escalation_id)
            .join(Commitment, Commitment.id == Escalation.commitment_id)
            .where(Commitment.key == "CSW-PUNJAB")
        ).all()
    assert messages == [
        (
            "reminder",
            COMMISSIONS["CSW-PUNJAB"][0],
            "Reminder: CSW-PUNJAB (Nominations invited) is due on 23 June 2026",
        )
    ]

    later = sweep(datetime(2026, 6, 17, 5, 0, tzinfo=UTC))
    overdue = sweep(FIRST_OVERDUE_DAY)

    assert not {n.key for n in later.reminders + overdue.reminders} & set(COMMISSIONS)
    # A reminder does not stand in for the first rung once the commission is overdue.
    assert [r["level"] for r in escalations_stored("CSW-PUNJAB")] == [0, 1]


def test_the_sweep_leaves_a_fanned_out_commitment_to_its_childrens_roll_up(
    loaded: Catalogue,
    sweep: Sweep,
    activate_committee: Walk,
    activate_districts: Callable[..., list[str]],
    stored: Stored,
    sessions: sessionmaker[Session],
) -> None:
    before = sweep(FIRST_OVERDUE_DAY)
    assert before.completed_parents == []
    with transaction(sessions) as session:
        parent_id = queries.get_commitment(session, "DHRC-NATIONAL").id
        # Its children are still at work: the safety net leaves it alone.
        assert workflow.complete_parent(session, loaded, parent_id, now=LONG_AFTER) == ()
    assert stored("DHRC-NATIONAL")["status"] == "open"

    activate_committee("DHRC-PUNJAB-LAHORE", "hr.officer.lahore@example.org")
    for province in ("punjab", "sindh", "kp", "balochistan"):
        officer = f"hr.officer.{province}@example.org"
        activate_districts(f"DHRC-{province.upper()}", officer)
        activate_committee(f"DHRC-{province.upper()}", officer)
    national = stored("DHRC-NATIONAL")
    assert national["status"] == "completed"

    report = sweep(LONG_AFTER)

    # The last child's advance completed it already; the sweep has nothing to add.
    assert report.completed_parents == []
    assert stored("DHRC-NATIONAL") == national
    assert [e["action"] for e in national["history"]] == [None, "complete"]
    with transaction(sessions) as session:
        assert workflow.complete_parent(session, loaded, parent_id, now=LONG_AFTER) == ()
    assert stored("DHRC-NATIONAL") == national
    assert not {n.key for n in report.escalations} & {
        "DHRC-PUNJAB",
        "DHRC-SINDH",
        "DHRC-KP",
        "DHRC-BALOCHISTAN",
    }


# -- lapsing at the deadline ---------------------------------------------------------------------

LAPSING_PIPELINE = """\
key: lapsing_task
version: 1
title: A task that lapses at its deadline
initial: open_task
on_deadline: expire
reminder_days_before: 0
stages:
  - key: open_task
    title: Open
    owner: officer
    time_limit: 5
  - key: done
    title: Done
    owner: officer
    terminal: true
    outcome: completed
  - key: lapsed
    title: Lapsed
    owner: officer
    terminal: true
    outcome: lapsed
transitions:
  - action: finish
    title: Finish the task
    from: open_task
    to: done
    roles: [officer]
  - action: expire
    title: The deadline passed
    from: "*"
    to: lapsed
    roles: [system]
ladder:
  - level: 1
    after: 0
    notify: officer
  - level: 2
    after: 3
    notify: chair
"""
DEADLINE = date(2026, 6, 19)  # a Friday


@pytest.fixture
def lapsing(sessions: sessionmaker[Session], catalogue: Catalogue, tmp_path: Path) -> Catalogue:
    """The bundled pipelines and lapsing_task, registered and read back."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "lapsing_task.yaml").write_text(LAPSING_PIPELINE)
    files = Catalogue.from_directories([BUNDLED_PIPELINES, folder])
    with transaction(sessions) as session:
        pipelines.register(session, files, now=LONG_AFTER)
        return pipelines.registered(session)


def test_a_commitment_lapses_by_itself_once_its_deadline_day_has_passed(
    lapsing: Catalogue,
    make_person: Callable[..., Person],
    make_commitment: Callable[..., Commitment],
    sweep: Sweep,
    stored: Stored,
    escalations_stored: Escalations,
) -> None:
    make_person("task.officer@example.org")
    make_commitment(
        "TASK-1",
        "lapsing_task",
        officer="task.officer@example.org",
        deadline=DEADLINE,
        using=lapsing,
    )

    on_the_day = sweep(datetime(2026, 6, 19, 18, 0, tzinfo=UTC), using=lapsing)  # 23:00 in Lahore
    assert on_the_day.lapsed == []
    assert stored("TASK-1")["status"] == "open"

    monday = datetime(2026, 6, 22, 5, 0, tzinfo=UTC)
    report = sweep(monday, using=lapsing)

    assert report.lapsed == ["TASK-1"]
    task = stored("TASK-1")
    assert (task["stage"], task["status"], task["closed_at"]) == ("lapsed", "lapsed", monday)
    assert task["history"][-1] == {
        "seq": 2,
        "kind": "transition",
        "at": monday,
        "actor": "system",
        "role": "system",
        "action": "expire",
        "from": "open_task",
        "to": "lapsed",
        "fields": {},
        "comment": "the deadline of 19 June 2026 has passed",
    }
    # A lapsed commitment is over: nobody is chased about it.
    assert escalations_stored("TASK-1") == []
    assert sweep(datetime(2026, 6, 23, 5, 0, tzinfo=UTC), using=lapsing).lapsed == []


def test_a_parent_completed_by_a_lapsing_child_is_reported_as_completed(
    lapsing: Catalogue,
    make_commitment: Callable[..., Commitment],
    sweep: Sweep,
    stored: Stored,
) -> None:
    make_commitment("TASK-NATIONAL", "fan_out", "federal", using=lapsing)
    make_commitment(
        "TASK-PUNJAB", "lapsing_task", parent="TASK-NATIONAL", deadline=DEADLINE, using=lapsing
    )

    report = sweep(datetime(2026, 6, 22, 5, 0, tzinfo=UTC), using=lapsing)

    assert stored("TASK-PUNJAB")["status"] == "lapsed"
    assert stored("TASK-NATIONAL")["status"] == "completed"
    assert report.lapsed == ["TASK-PUNJAB"]
    assert report.completed_parents == ["TASK-NATIONAL"]


# A pipeline whose on_deadline action is open from its first stage only.
PAUSABLE_PIPELINE = """\
key: pausable_task
version: 1
title: A task that lapses at its deadline unless paused
initial: open_task
on_deadline: expire
reminder_days_before: 0
stages:
  - key: open_task
    title: Open
    owner: officer
    time_limit: 5
  - key: paused
    title: Paused
    owner: officer
    time_limit: 5
  - key: lapsed
    title: Lapsed
    owner: officer
    terminal: true
    outcome: lapsed
transitions:
  - action: pause
    title: Pause the task
    from: open_task
    to: paused
    roles: [officer]
  - action: resume
    title: Resume the task
    from: paused
    to: open_task
    roles: [officer]
  - action: expire
    title: The deadline passed
    from: open_task
    to: lapsed
    roles: [system]
ladder:
  - level: 1
    after: 0
    notify: officer
  - level: 2
    after: 3
    notify: chair
"""


def test_a_deadline_action_that_some_stage_cannot_take_is_refused_up_front(
    tmp_path: Path,
) -> None:
    # Were it accepted, a paused task past its deadline could not lapse, and a sweep
    # would meet a refusal instead of an answer; so the definition is refused instead.
    (tmp_path / "pausable_task.yaml").write_text(PAUSABLE_PIPELINE)
    with pytest.raises(DefinitionError) as refused:
        Catalogue.from_directories([tmp_path])
    message = refused.value.message
    assert "pausable_task.yaml:5: on_deadline:" in message
    assert "must be possible from every open stage; it is not from paused" in message


# -- the query plan ------------------------------------------------------------------------------


def test_finding_the_stalled_uses_the_status_and_due_time_index(
    loaded: Catalogue, sessions: sessionmaker[Session]
) -> None:
    # The first overdue day, when a few of the sample's 166 commitments are due (the
    # commissions, a week after the meeting), as on a usual day: the index finds the few.
    # Long after, nearly every one is due, and reading the table in key order is cheaper.
    query = stalled_ids_query(FIRST_OVERDUE_DAY, date(2026, 6, 24))
    with transaction(sessions) as session:
        dialect = session.get_bind().dialect
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "postgresql":
            # A table this small is read whole; forbid that to see which index is chosen.
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = session.execute(text(f"EXPLAIN {sql}")).scalars().all()
        else:
            plan = [row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
        # The literal query finds what the sweep finds.
        found = session.scalars(text(sql)).all()
        assert found == session.scalars(query).all() != []

    assert "ix_commitments_status_due_at" in "\n".join(plan)
