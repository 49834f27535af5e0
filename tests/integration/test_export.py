"""Export and restore on a real database: what is restored is what was exported.

The loaded meeting, moved on (moves, a remark with a file, a sweep, an answer, a new
person and an acting charge), is exported, restored into a new database and exported
again: both files say the same, on SQLite, on PostgreSQL and from one to the other.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from db import assembly, escalations, export, handover, pipelines, workflow
from db.engine import make_engine, session_factory, transaction
from db.loading import load_meeting
from db.migrate import upgrade
from db.models import Base, Person
from db.sweep import run_sweep
from states.assembly import AssemblyEventKind
from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.evidence import Upload
from states.meeting import load_meeting_file
from taskforce.data import BUNDLED_MEETING

LOADED_AT = datetime(2026, 6, 12, 10, 0, 0, 250_000, tzinfo=UTC)
EXPORTED_AT = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)
ADMIN = "admin@example.org"
PDF = b"%PDF-1.7\n% the notification of the commission\n%%EOF\n"
NINTH = """\
meeting:
  key: ntf_hr_09
  title: 9th meeting of the National Task Force on Human Rights
  held_on: 2026-07-24
commitments:
  - key: CMB-PUNJAB
    title: Enact a child marriage restraint law in Punjab setting the minimum marriage age at 18
    pipeline: provincial_bill
    jurisdiction: punjab
    department: law
    officer: law.officer.punjab@example.org
    deadline: 2027-03-31
"""
COMMITTEE_STEPS = (
    ("nominate_members", {"members": "9"}),
    ("hold_first_meeting", {"first_meeting_on": "2026-06-01", "minutes_reference": "MIN/1"}),
)


def _moment(day: int, hour: int) -> datetime:
    return datetime(2026, 6, day, hour, 30, 15, 123_456, tzinfo=UTC)


def play(sessions: sessionmaker[Session], folder: Path) -> None:
    """The bundled meeting, a month of work on it, and the next meeting restating a decision."""
    catalogue = Catalogue.from_directories([BUNDLED_PIPELINES])
    with transaction(sessions) as session:
        pipelines.register(session, catalogue, now=LOADED_AT)
        registered = pipelines.registered(session)
        load_meeting(session, registered, load_meeting_file(BUNDLED_MEETING), now=LOADED_AT)
    for hour, (action, fields) in enumerate(COMMITTEE_STEPS):
        with transaction(sessions) as session:
            workflow.advance(
                session,
                registered,
                key="DHRC-SINDH",
                action=action,
                actor_email="hr.officer.sindh@example.org",
                fields=fields,
                now=_moment(15, 9 + hour),
            )
    with transaction(sessions) as session:
        workflow.note(
            session,
            key="CSW-PUNJAB",
            actor_email="women.officer.punjab@example.org",
            text="The notification, signed",
            now=_moment(16, 9),
            attachments=[Upload("notice.pdf", PDF)],
        )
    run_sweep(sessions, registered, WorkingCalendar(), now=datetime(2026, 7, 21, 5, tzinfo=UTC))
    with transaction(sessions) as session:
        escalations.acknowledge(
            session,
            key="CMB-PUNJAB",
            actor_email="law.secretary.punjab@example.org",
            reason="the Law Department has the draft",
            now=datetime(2026, 7, 23, 5, tzinfo=UTC),
        )
        handover.add_person(
            session,
            actor_email=ADMIN,
            values={
                "email": "ayesha.khan@example.org",
                "name": "Ayesha Khan",
                "role": "officer",
                "jurisdiction": "punjab",
                "department": "law",
                "language": "ur",
            },
            reason="joined the Law Department",
            now=datetime(2026, 7, 24, 5, tzinfo=UTC),
        )
        handover.give_acting_charge(
            session,
            actor_email=ADMIN,
            email="hr.officer.punjab@example.org",
            for_email="hr.officer.sindh@example.org",
            until=date(2026, 8, 31),
            today=date(2026, 7, 24),
            now=datetime(2026, 7, 24, 6, tzinfo=UTC),
        )
        assembly.record(
            session,
            registered,
            WorkingCalendar(),
            province="sindh",
            kind=AssemblyEventKind.PROROGUED,
            on=date(2026, 7, 23),
            actor_email="cs.sindh@example.org",
            reason="the Governor's order of 23 July",
            now=datetime(2026, 7, 24, 6, tzinfo=UTC),
        )
        person = session.scalars(select(Person).where(Person.email == ADMIN)).one()
        person.password_hash = "$argon2id$not-to-be-exported"
    ninth = folder / "meeting-09.yaml"
    ninth.write_text(NINTH, encoding="utf-8")
    with transaction(sessions) as session:
        load_meeting(
            session, registered, load_meeting_file(ninth), now=datetime(2026, 7, 25, 5, tzinfo=UTC)
        )


def fresh_target(sessions: sessionmaker[Session]) -> None:
    """A new installation as `taskforce` opens it: migrated, the bundled pipelines registered."""
    with transaction(sessions) as session:
        pipelines.register(
            session, Catalogue.from_directories([BUNDLED_PIPELINES]), now=EXPORTED_AT
        )


def exported(sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    with transaction(export.snapshot_sessions(sessions.kw["bind"])) as session:
        return [json.loads(line) for line in export.write_export(session, now=EXPORTED_AT)]


def restore(sessions: sessionmaker[Session], lines: list[str], source: str = "x.jsonl") -> Any:
    with transaction(sessions) as session:
        return export.restore(session, lines, source=source)


def round_trip(source: sessionmaker[Session], target: sessionmaker[Session], folder: Path) -> None:
    play(source, folder)
    before = exported(source)
    fresh_target(target)
    restored = restore(target, [json.dumps(line) for line in before])
    after = exported(target)
    assert before[0].pop("dialect") in {"sqlite", "postgresql"}
    after[0].pop("dialect")
    assert after == before
    kinds = {line["type"] for line in before}
    # The state played touches every exported table, so each is compared with rows in it.
    assert kinds == {"header", *export.EXPORTED}
    assert restored.counts["events"] == sum(line["type"] == "events" for line in before)
    with target() as session:
        admin = session.scalars(select(Person).where(Person.email == ADMIN)).one()
        assert admin.password_hash is None


@pytest.fixture
def other_sessions(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[sessionmaker[Session]]:
    """A second new database of the same kind as `database_url`."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path}/restored.sqlite3"
        yield from _sessions(url)
        return
    server: Engine = request.getfixturevalue("postgres_server")
    for url in _postgres_database(server):
        yield from _sessions(url)


def _postgres_database(server: Engine) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sessions(url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()


def test_every_table_is_exported_or_left_out_for_a_stated_reason() -> None:
    tables = set(Base.metadata.tables)
    assert not set(export.EXPORTED) & set(export.NOT_EXPORTED)
    assert tables - set(export.EXPORTED) - set(export.NOT_EXPORTED) == set(), (
        "a new table: add it to db.export.EXPORTED or NOT_EXPORTED with the reason"
    )
    assert set(export.EXPORTED) | set(export.NOT_EXPORTED) <= tables
    assert all(reason.strip() for reason in export.NOT_EXPORTED.values())


def test_a_restored_database_exports_the_same_file(
    sessions: sessionmaker[Session], other_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    round_trip(sessions, other_sessions, tmp_path)


@pytest.mark.postgres
def test_an_export_from_sqlite_restores_into_postgresql(
    tmp_path: Path, postgres_server: Engine
) -> None:
    for source in _sessions(f"sqlite:///{tmp_path}/source.sqlite3"):
        for url in _postgres_database(postgres_server):
            for target in _sessions(url):
                round_trip(source, target, tmp_path)


def test_the_file_names_rows_by_their_keys_and_keeps_no_secrets(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    play(sessions, tmp_path)
    lines = exported(sessions)
    people = [line["row"] for line in lines if line["type"] == "people"]
    assert all("password_hash" not in row and "id" not in row for row in people)
    child = next(
        line["row"]
        for line in lines
        if line["type"] == "commitments" and line["row"]["parent"] is not None
    )
    assert isinstance(child["parent"], str) and "officer" in child
    # The Urdu title travels with its commitment.
    assert child["title_ur"] and all(
        line["row"]["title_ur"] for line in lines if line["type"] == "commitments"
    )
    # So does the meeting's.
    meetings = {line["row"]["key"]: line["row"] for line in lines if line["type"] == "meetings"}
    assert meetings["ntf_hr_08"]["title_ur"] == "انسانی حقوق کی قومی ٹاسک فورس کا آٹھواں اجلاس"
    attached = next(line["row"] for line in lines if line["type"] == "event_evidence")
    assert attached["event"] == ["CSW-PUNJAB", attached["event"][1]]
    assert lines[0]["migration"] and lines[0]["format"] == export.FORMAT


def test_a_database_that_already_holds_people_or_commitments_is_refused(
    sessions: sessionmaker[Session], other_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    play(sessions, tmp_path)
    with transaction(other_sessions) as session:
        session.add(
            Person(
                email="someone@example.org",
                name="Someone",
                role="officer",
                jurisdiction="punjab",
                department="law",
                created_at=LOADED_AT,
            )
        )
    lines = [json.dumps(line) for line in exported(sessions)]
    with pytest.raises(export.ExportFileError, match=r"^the database is not empty \(1 people\)"):
        restore(other_sessions, lines)


def test_a_corrupt_line_is_named_by_its_number_and_nothing_is_kept(
    sessions: sessionmaker[Session], other_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    play(sessions, tmp_path)
    lines = [json.dumps(line) for line in exported(sessions)]
    fresh_target(other_sessions)
    broken = [*lines[:40], '{"type": "commitments", "row": ', *lines[41:]]
    with pytest.raises(export.ExportFileError, match=r"^backup.jsonl line 41: not JSON"):
        restore(other_sessions, broken, source="backup.jsonl")
    unknown = next(i for i, line in enumerate(lines) if '"type": "events"' in line)
    lines[unknown] = lines[unknown].replace('"commitment": "', '"commitment": "NO-SUCH-')
    with pytest.raises(
        export.ExportFileError, match=rf"line {unknown + 1}: events: commitment 'NO-SUCH-"
    ):
        restore(other_sessions, lines)
    older = json.dumps({**json.loads(lines[0]), "migration": "0009"})
    with pytest.raises(export.ExportFileError, match=r"line 1: exported at schema 0009, but"):
        restore(other_sessions, [older, *lines[1:]])
    with other_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0
