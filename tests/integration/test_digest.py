"""Digests on a real database: what the chair and each chief secretary read, and what changed.

The bundled 8th meeting (Friday 12 June 2026) gave the commissions on the status of
women (CSW-*) seven working days: they fall due as 23 June ends, and Ashura closes
offices on 25 and 26 June. On Monday 29 June they are 2 working days overdue (level 2,
the secretary); on Monday 6 July, 7 (level 3, the chief secretary); on Monday 27 July,
22 (level 4, the chair). Most other items fall due as 30 June ends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from db import digest as digests
from db import escalations, workflow
from db.digest import DigestContent, build_digest, overdue_query, record_digests
from db.engine import transaction
from db.models import Commitment, Digest, Escalation, OutboxMessage, Person
from db.sweep import SweepReport
from flows import runtime
from notifications.digest import compose_digest
from notifications.render import Renderer
from states.actors import covers
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.districts import bundled_districts
from states.errors import ConfigurationError, TaskforceError
from states.meeting import district_child_key

Sweep = Callable[..., SweepReport]

CHAIR = "chair@example.org"
CHIEF_SECRETARIES = {
    "punjab": "cs.punjab@example.org",
    "sindh": "cs.sindh@example.org",
    "khyber_pakhtunkhwa": "cs.kp@example.org",
    "balochistan": "cs.balochistan@example.org",
}
COMMISSIONS = ("CSW-PUNJAB", "CSW-SINDH", "CSW-KP", "CSW-BALOCHISTAN")
FIRST_WEEK = datetime(2026, 6, 29, 5, 0, tzinfo=UTC)  # Monday, 10:00 in Pakistan
SECOND_WEEK = FIRST_WEEK + timedelta(days=7)
LONG_AFTER = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)
BASE_URL = "https://taskforce.example.org"
# Each province's District Human Rights Committees, made by the meeting's each_district.
DISTRICT_COMMITTEES = {
    province: {
        district_child_key(parent, district.key)
        for district in bundled_districts().in_province(province)
    }
    for province, parent in (
        ("punjab", "DHRC-PUNJAB"),
        ("sindh", "DHRC-SINDH"),
        ("khyber_pakhtunkhwa", "DHRC-KP"),
        ("balochistan", "DHRC-BALOCHISTAN"),
    )
}


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
    """One advance at a moment of the test's choosing (the `advance` fixture's clock is June's)."""
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


def record(
    sessions: sessionmaker[Session], catalogue: Catalogue, now: datetime
) -> list[dict[str, Any]]:
    with transaction(sessions) as session:
        return [
            digests.summary(d)
            for d in record_digests(session, catalogue, WorkingCalendar(), now=now)
        ]


def build(
    sessions: sessionmaker[Session], catalogue: Catalogue, scope: str, now: datetime, **kw: Any
) -> DigestContent:
    with transaction(sessions) as session:
        return build_digest(session, catalogue, WorkingCalendar(), scope=scope, now=now, **kw)


def latest(sessions: sessionmaker[Session], email: str) -> DigestContent:
    with sessions() as session:
        row = session.scalars(
            select(Digest).where(Digest.recipient_email == email).order_by(Digest.created_at.desc())
        ).first()
        assert row is not None
        return digests.content_of(row)


def by_key(content: DigestContent) -> dict[str, digests.DigestItem]:
    return {item.key: item for item in content.items()}


# -- what one digest shows ---------------------------------------------------------------------


def test_the_chairs_digest_groups_the_stalled_by_province_and_department(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session]
) -> None:
    report = sweep(LONG_AFTER)

    content = build(sessions, loaded, "federal", LONG_AFTER)

    assert [g.province for g in content.groups] == [
        "federal",
        "punjab",
        "sindh",
        "khyber_pakhtunkhwa",
        "balochistan",
    ]
    for key in COMMISSIONS:
        province = next(g for g in content.groups if any(i.key == key for i in g.items()))
        department = next(d for d in province.departments if any(i.key == key for i in d.items))
        assert department.department == "women_development"
        item = next(i for i in department.items if i.key == key)
        assert (item.level, item.notify, item.overdue_days) == (4, "chair", 22)
        assert item.escalated_level == 4  # the sweep has told every rung
        assert item.stage_title.en == "Nominations invited"
        assert item.officer_email == f"women.officer.{key[4:].lower()}@example.org"
        assert item.officer_name and item.reason == "stage_limit"
    punjab = next(g for g in content.groups if g.province == "punjab")
    assert [d.department for d in punjab.departments] == [
        "human_rights",
        "law",
        "women_development",
    ]
    # The digest sees the stalls the sweep escalated, at the same rungs.
    # The provincial task forces have three months for their first meeting: none is stalled yet.
    # 19 written in the meeting file, and 142 district committees (41 + 30 + 36 + 36 - 1 for
    # Lahore, counted among the 19).
    assert {p: len(keys) for p, keys in DISTRICT_COMMITTEES.items()} == {
        "punjab": 41,
        "sindh": 30,
        "khyber_pakhtunkhwa": 36,
        "balochistan": 36,
    }
    assert content.stalled == report.stalled == 19 + 142
    assert Counter(i.level for i in content.items()) == report.by_level
    assert content.overdue_by_province == dict(report.by_jurisdiction)
    assert list(content.overdue_by_province) == [g.province for g in content.groups]
    assert (content.changes, content.previous_at, content.exempt) == (None, None, ())
    assert content.completed_since == LONG_AFTER - timedelta(days=7)


def test_a_chief_secretarys_digest_has_only_their_province_and_its_districts(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session]
) -> None:
    sweep(LONG_AFTER)

    content = build(sessions, loaded, "punjab", LONG_AFTER)

    keys = {item.key: item.jurisdiction for item in content.items()}
    assert sorted(keys) == sorted(
        ["CMB-PUNJAB", "CSW-PUNJAB", "DHRC-PUNJAB", *DISTRICT_COMMITTEES["punjab"]]
    )
    assert keys["DHRC-PUNJAB-LAHORE"] == "punjab/lahore"
    assert keys["DHRC-PUNJAB-MULTAN"] == "punjab/multan"
    assert all(covers("punjab", jurisdiction) for jurisdiction in keys.values())
    assert [g.province for g in content.groups] == ["punjab"]
    assert content.overdue_by_province == {"punjab": 3 + 41}
    with pytest.raises(TaskforceError, match="unknown digest scope 'punjab/lahore'"):
        build(sessions, loaded, "punjab/lahore", LONG_AFTER)


def test_acknowledged_snoozed_and_exempt_items_are_shown_as_such(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session]
) -> None:
    sweep(LONG_AFTER)
    with transaction(sessions) as session:
        escalations.acknowledge(
            session,
            key="CSW-PUNJAB",
            actor_email="women.secretary.punjab@example.org",
            reason="the shortlisting committee meets on Thursday",
            now=LONG_AFTER,
        )
        escalations.snooze(
            session,
            loaded,
            key="CSW-KP",
            actor_email="women.secretary.kp@example.org",
            until=date(2026, 7, 30),
            reason="nominations close on Wednesday",
            now=LONG_AFTER,
            today=date(2026, 7, 27),
        )
        escalations.exempt(
            session,
            key="CSW-BALOCHISTAN",
            actor_email=CHAIR,
            reason="held up by a court stay",
            now=LONG_AFTER,
        )

    content = build(sessions, loaded, "federal", LONG_AFTER + timedelta(hours=1))

    items = by_key(content)
    assert items["CSW-PUNJAB"].acknowledged_by == "women.secretary.punjab@example.org"
    assert items["CSW-PUNJAB"].acknowledged_at == LONG_AFTER
    assert items["CSW-KP"].snoozed_until == date(2026, 7, 30)
    assert items["CSW-SINDH"].snoozed_until is None and items["CSW-SINDH"].acknowledged_by is None
    assert "CSW-BALOCHISTAN" not in items
    assert [i.key for i in content.exempt] == ["CSW-BALOCHISTAN"]
    assert content.exempt[0].exempt
    assert (content.stalled, content.snoozed) == (18 + 142, 1)
    # Exempt or not, it is still overdue: the chart counts it (and 36 district committees).
    assert content.overdue_by_province["balochistan"] == 4 + 36

    # A snooze that has run out is not shown as one.
    later = build(sessions, loaded, "federal", datetime(2026, 7, 31, 5, 0, tzinfo=UTC))
    assert by_key(later)["CSW-KP"].snoozed_until is None


# -- what changed since the last one -----------------------------------------------------------


def test_the_next_digest_shows_new_resolved_and_worsened_stalls_and_what_was_completed(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session]
) -> None:
    sweep(FIRST_WEEK)
    record(sessions, loaded, FIRST_WEEK)
    first = latest(sessions, CHAIR)
    assert sorted(by_key(first)) == sorted(COMMISSIONS)
    assert {(i.level, i.overdue_days) for i in first.items()} == {(2, 2)}

    # The week between: Punjab's commission is shortlisted, Sindh's takes office.
    officer, secretary = "women.officer.{}@example.org", "women.secretary.{}@example.org"
    move(
        sessions,
        loaded,
        "CSW-PUNJAB",
        "shortlist",
        officer.format("punjab"),
        now=FIRST_WEEK + timedelta(days=2),
        fields={"shortlist_size": "12"},
    )
    for n, (action, who, fields) in enumerate(
        [
            ("shortlist", officer, {"shortlist_size": "9"}),
            ("approve", secretary, {"summary_number": "SO(W)/2026/14"}),
            ("notify", officer, {"notification_number": "No. WD-7/2026"}),
            ("take_office", officer, {"members_in_office": "9"}),
        ]
    ):
        move(
            sessions,
            loaded,
            "CSW-SINDH",
            action,
            who.format("sindh"),
            now=FIRST_WEEK + timedelta(days=2, hours=n),
            fields=fields,
        )
    sweep(SECOND_WEEK)
    recorded = record(sessions, loaded, SECOND_WEEK)

    second = latest(sessions, CHAIR)
    changes = second.changes
    assert changes is not None
    assert second.previous_at == changes.previous_at == FIRST_WEEK
    assert [(r.key, r.status, str(r.now_stage_title), r.level) for r in changes.resolved] == [
        ("CSW-PUNJAB", "open", "Shortlisted", 2),
        ("CSW-SINDH", "completed", "Members in office", 2),
    ]
    assert [(w.key, w.before, w.after) for w in changes.worsened] == [
        ("CSW-BALOCHISTAN", 2, 3),
        ("CSW-KP", 2, 3),
    ]
    # Everything else fell due as 30 June ended: newly stalled, every one of them.
    assert set(changes.new) == set(by_key(second)) - {"CSW-KP", "CSW-BALOCHISTAN"}
    assert {"DHRC-PUNJAB-LAHORE", "NAP-HR-07", "FSC-RULING-2023"} <= set(changes.new)
    assert not set(changes.new) & set(COMMISSIONS)
    assert [(c.key, str(c.pipeline_title)) for c in second.completed] == [
        ("CSW-SINDH", "Commission appointment")
    ]
    assert second.completed_since == FIRST_WEEK
    # Each reader compares with their own last digest.
    punjab = latest(sessions, CHIEF_SECRETARIES["punjab"])
    assert punjab.changes is not None
    assert [r.key for r in punjab.changes.resolved] == ["CSW-PUNJAB"]
    assert punjab.changes.worsened == () and punjab.completed == ()
    assert set(punjab.changes.new) == {"DHRC-PUNJAB", *DISTRICT_COMMITTEES["punjab"]}
    sindh = next(r for r in recorded if r["scope"] == "sindh")
    assert (sindh["resolved"], sindh["completed"], sindh["since"]) == (
        1,
        1,
        FIRST_WEEK.isoformat(),
    )


def test_a_preview_compares_with_the_last_digest_of_its_scope_and_records_nothing(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session]
) -> None:
    sweep(FIRST_WEEK)
    record(sessions, loaded, FIRST_WEEK)

    preview = build(sessions, loaded, "federal", SECOND_WEEK)
    mine = build(sessions, loaded, "federal", SECOND_WEEK, recipient_email=CHAIR)
    nobodys = build(sessions, loaded, "federal", SECOND_WEEK, recipient_email="x@example.org")

    assert preview == mine and preview.previous_at == FIRST_WEEK
    assert nobodys.changes is None
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Digest)) == 5


# -- recording ---------------------------------------------------------------------------------


def _digest_rows(sessions: sessionmaker[Session]) -> tuple[list[Digest], list[OutboxMessage]]:
    with sessions() as session:
        return (
            list(session.scalars(select(Digest).order_by(Digest.id))),
            list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.kind == "digest")
                    .order_by(OutboxMessage.id)
                )
            ),
        )


def test_record_digests_writes_one_digest_and_one_message_per_reader(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session]
) -> None:
    sweep(LONG_AFTER)
    with transaction(sessions) as session:
        session.execute(
            update(Person).where(Person.email == "cs.punjab@example.org").values(language="ur")
        )
        messages_before = session.scalar(select(func.count()).select_from(OutboxMessage))

    summaries = record(sessions, loaded, LONG_AFTER)

    rows, messages = _digest_rows(sessions)
    assert [(r.scope, r.recipient_email) for r in rows] == [
        ("federal", CHAIR),
        *CHIEF_SECRETARIES.items(),
    ]
    assert [s["digest_id"] for s in summaries] == [r.id for r in rows]
    assert all(r.created_at == LONG_AFTER and r.since is None for r in rows)
    assert [(m.digest_id, m.recipient_email) for m in messages] == [
        (r.id, r.recipient_email) for r in rows
    ]
    for message in messages:
        assert message.escalation_id is None
        assert message.payload == {"digest_id": message.digest_id}
        assert (message.status, message.attempts) == ("pending", 0)
        assert message.next_attempt_at == message.created_at == LONG_AFTER
        assert message.subject and message.recipient_name
    assert {m.recipient_email: m.language for m in messages}["cs.punjab@example.org"] == "ur"
    assert {m.recipient_email: m.recipient_name for m in messages}[CHAIR] == "Nasreen Akhtar"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == (
            (messages_before or 0) + 5
        )

    # Replaying the same moment (a retried flow run) records nothing twice.
    assert record(sessions, loaded, LONG_AFTER) == []
    assert [len(found) for found in _digest_rows(sessions)] == [5, 5]


def test_the_digests_and_their_messages_are_written_together_or_not_at_all(
    loaded: Catalogue,
    sweep: Sweep,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sweep(LONG_AFTER)
    real = digests.build_digest
    calls: list[str] = []

    def fails_on_the_third(*args: Any, **kwargs: Any) -> DigestContent:
        calls.append(kwargs["scope"])
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(digests, "build_digest", fails_on_the_third)

    with pytest.raises(RuntimeError, match="went away"):
        record(sessions, loaded, LONG_AFTER)

    assert calls == ["federal", "punjab", "sindh"]
    assert _digest_rows(sessions) == ([], [])


def test_record_digests_for_some_scopes_only(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        recorded = record_digests(
            session, loaded, WorkingCalendar(), now=LONG_AFTER, scopes=["sindh"]
        )
        assert [(d.scope, d.recipient_email) for d in recorded] == [
            ("sindh", "cs.sindh@example.org")
        ]
        with pytest.raises(TaskforceError, match="unknown digest scope"):
            record_digests(session, loaded, WorkingCalendar(), now=LONG_AFTER, scopes=["lahore"])


def test_the_flow_task_records_through_the_runtime(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session]
) -> None:
    from flows.digest import record as record_task

    sweep(LONG_AFTER)
    runtime.configure(
        lambda: runtime.Runtime(sessions=sessions, catalogue=loaded, calendar=WorkingCalendar())
    )
    try:
        # The task's own body, without a Prefect server (tests/flows runs flows through one).
        summaries = record_task.fn(now=LONG_AFTER)
    finally:
        runtime.configure(_not_configured)

    # Each province's own items, and its district committees (Lahore among Punjab's 41).
    assert [(s["scope"], s["stalled"]) for s in summaries] == [
        ("federal", 19 + 142),
        ("punjab", 3 + 41),
        ("sindh", 3 + 30),
        ("khyber_pakhtunkhwa", 4 + 36),
        ("balochistan", 4 + 36),
    ]


def _not_configured() -> runtime.Runtime:
    raise ConfigurationError("no runtime: the test that configured one has ended")


# -- reading it --------------------------------------------------------------------------------


@pytest.mark.parametrize(("email", "language"), [(CHAIR, "en"), ("cs.punjab@example.org", "ur")])
def test_a_queued_digest_renders_with_its_chart_in_its_readers_language(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session], email: str, language: str
) -> None:
    sweep(LONG_AFTER)
    with transaction(sessions) as session:
        session.execute(update(Person).where(Person.email == email).values(language=language))
    record(sessions, loaded, LONG_AFTER)

    with sessions() as session:
        message = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "digest", OutboxMessage.recipient_email == email
            )
        ).one()
        rendered = compose_digest(session, message, Renderer(), base_url=BASE_URL + "/")

    html = rendered.html
    # The chart is table cells that Gmail and Outlook draw, not inline SVG that they drop.
    assert "<svg" not in html and 'bgcolor="#b4342d"' in html
    assert f'href="{BASE_URL}/commitments/CSW-PUNJAB"' in html
    assert f"{BASE_URL}/commitments/DHRC-PUNJAB-LAHORE" in rendered.text
    assert "#####" in rendered.text  # the chart, as text
    if language == "ur":
        assert '<html lang="ur" dir="rtl">' in html
        assert "پنجاب" in rendered.subject
        assert "CSW-SINDH" not in html  # Punjab's chief secretary reads Punjab only
    else:
        assert '<html lang="en" dir="ltr">' in html
        assert rendered.subject.startswith("161 stalled commitments as of 27 July 2026")
        for key in COMMISSIONS:
            assert f"{BASE_URL}/commitments/{key}" in html


# -- cost --------------------------------------------------------------------------------------


def test_finding_the_overdue_uses_the_status_and_due_time_index(
    loaded: Catalogue, sessions: sessionmaker[Session]
) -> None:
    # A week after the meeting only the commissions are overdue, a few of the sample's 166
    # commitments, as on a usual day: the index finds the few. Long after, nearly every one
    # is overdue, and reading the whole table is cheaper.
    query = overdue_query("federal", datetime(2026, 6, 24, 5, 0, tzinfo=UTC))
    with transaction(sessions) as session:
        dialect = session.get_bind().dialect
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "postgresql":
            # A table this small is read whole; forbid that to see which index is chosen.
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = session.execute(text(f"EXPLAIN {sql}")).scalars().all()
        else:
            plan = [row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
        assert len(session.execute(text(sql)).all()) == len(session.execute(query).all()) > 0

    assert "ix_commitments_status_due_at" in "\n".join(plan)


@pytest.mark.slow
def test_ten_thousand_stalled_items_are_each_counted_once(
    catalogue: Catalogue, sessions: sessionmaker[Session]
) -> None:
    started = datetime(2025, 7, 1, 5, 0, tzinfo=UTC)
    places = ("federal", "punjab", "punjab/lahore", "sindh", "sindh/karachi", "balochistan")
    with transaction(sessions) as session:
        session.execute(
            insert(Person),
            [
                {
                    "email": f"officer{n}@example.org",
                    "name": f"Officer {n}",
                    "role": "officer",
                    "jurisdiction": "punjab",
                    "department": "law",
                    "language": "en",
                    "active": True,
                    "created_at": started,
                }
                for n in range(50)
            ],
        )
        officers = list(session.scalars(select(Person.id)))
        rows = []
        for n in range(10_000):
            entered = started + timedelta(days=n % 300, minutes=n)
            rows.append(
                {
                    "key": f"LOAD-{n:05}",
                    "title": f"Commitment {n}",
                    "pipeline_key": "action_task",
                    "pipeline_version": 1,
                    "jurisdiction": places[n % len(places)],
                    "department": ("law", "police", "interior")[n % 3],
                    "officer_id": officers[n % len(officers)],
                    "stage": "assigned",
                    "stage_entered_at": entered,
                    "start_date": entered.date(),
                    "deadline": None,
                    "status": "open",
                    "fields": {},
                    "created_at": entered,
                    "due_at": entered,
                    "stage_seq": 1,
                    "exempt": n % 100 == 0,
                    "version": 1,
                }
            )
        session.execute(insert(Commitment), rows)
        ids = list(
            session.scalars(
                select(Commitment.id)
                .where(Commitment.key.like("LOAD-%"))
                .order_by(Commitment.key)  # LOAD-00000 first: every even one is escalated
            )
        )
        session.execute(
            insert(Escalation),
            [
                {
                    "commitment_id": i,
                    "stage_seq": 1,
                    "level": 1,
                    "role": "officer",
                    "reason": "stage_limit",
                    "due_at": started,
                    "overdue_days": 1,
                    "recipients": [],
                    "snapshot": {},
                    "created_at": started,
                }
                for i in ids[::2]
            ],
        )
    now = datetime(2026, 6, 15, 5, 0, tzinfo=UTC)

    # How long this takes is measured by `make bench` (bench/digest.py), not here.
    with transaction(sessions) as session:
        content = build_digest(session, catalogue, WorkingCalendar(), scope="federal", now=now)

    assert content.stalled + len(content.exempt) == 10_000
    assert len(content.exempt) == 100
    assert sum(1 for i in content.items() if i.escalated_level == 1) == 4_900
