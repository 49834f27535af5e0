"""Fixtures for tests on a real database: registered pipelines, the bundled meeting, factories.

Every fixture here builds on `sessions` (tests/conftest.py), so each test that uses
one runs on a new SQLite file and on a new PostgreSQL database.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from db import people, pipelines, queries, workflow
from db.engine import make_engine, session_factory, transaction
from db.loading import load_meeting
from db.models import Commitment, Escalation, Event, OutboxMessage, Person
from db.sweep import SweepReport, run_sweep
from states.actors import SYSTEM_ACTOR
from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.meeting import MeetingFile, load_meeting_file
from taskforce.data import BUNDLED_MEETING
from tests.conftest import prepared_postgres

# The bundled meeting was held on 2026-06-12; everything here happens after it.
# The microseconds make sure timestamps survive a round trip through the database whole.
LOADED_AT = datetime(2026, 6, 12, 10, 0, 0, 250_000, tzinfo=UTC)
FIRST_TICK = datetime(2026, 6, 15, 9, 0, 0, 123_456, tzinfo=UTC)

# committee_activation, from notified to operational: (action, stage reached, fields).
COMMITTEE_STEPS = (
    ("nominate_members", "members_nominated", {"members": "9"}),
    (
        "hold_first_meeting",
        "first_meeting_held",
        {"first_meeting_on": "2026-06-01", "minutes_reference": "MIN/2026/1"},
    ),
    ("report_operational", "operational", {"first_report_on": "2026-06-10"}),
)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """Successive moments an hour apart, so every event has its own time."""
    ticks = iter(range(10_000))

    def now() -> datetime:
        return FIRST_TICK + timedelta(hours=next(ticks))

    return now


@pytest.fixture(scope="session")
def bundled_meeting() -> MeetingFile:
    """The bundled meeting file, read once: it is immutable."""
    return load_meeting_file(BUNDLED_MEETING)


def _register_and_load(database_url: str, meeting: MeetingFile) -> None:
    """What `catalogue` then `loaded` do, done once into a prepared database."""
    engine = make_engine(database_url)
    try:
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            pipelines.register(
                session, Catalogue.from_directories([BUNDLED_PIPELINES]), now=LOADED_AT
            )
            load_meeting(session, pipelines.registered(session), meeting, now=LOADED_AT)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def loaded_sqlite(
    migrated_sqlite: Path, bundled_meeting: MeetingFile, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A SQLite file with the bundled meeting loaded, made once per run."""
    path = tmp_path_factory.mktemp("loaded") / "taskforce.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    _register_and_load(f"sqlite:///{path}", bundled_meeting)
    return path


@pytest.fixture(scope="session")
def loaded_postgres(
    postgres_server: Engine, migrated_postgres: str, bundled_meeting: MeetingFile
) -> Iterator[str]:
    """A PostgreSQL database with the bundled meeting loaded, made once per run."""
    with prepared_postgres(
        postgres_server,
        "loaded",
        lambda url: _register_and_load(url, bundled_meeting),
        template=migrated_postgres,
    ) as name:
        yield name


@pytest.fixture
def database_template(request: pytest.FixtureRequest) -> tuple[str, str]:
    """A test that asks for `loaded` starts from a copy with the meeting already loaded."""
    if "loaded" in request.fixturenames:
        return ("loaded_sqlite", "loaded_postgres")
    return ("migrated_sqlite", "migrated_postgres")


@pytest.fixture
def catalogue(sessions: sessionmaker[Session]) -> Catalogue:
    """The bundled pipelines, registered in the database and read back as the rules see them."""
    with transaction(sessions) as session:
        if not pipelines.registered(session).all():
            files = Catalogue.from_directories([BUNDLED_PIPELINES])
            pipelines.register(session, files, now=LOADED_AT)
        return pipelines.registered(session)


@pytest.fixture
def loaded(
    sessions: sessionmaker[Session],
    catalogue: Catalogue,
    database_template: tuple[str, str],
    bundled_meeting: MeetingFile,
) -> Catalogue:
    """The bundled 8th meeting loaded (43 people, 24 commitments); returns the catalogue.

    A test naming `loaded` gets a copy of a database where it was loaded already
    (loading takes longer than most tests); one asking for it on the way loads it now.
    """
    if database_template[0] != "loaded_sqlite":
        with transaction(sessions) as session:
            load_meeting(session, catalogue, bundled_meeting, now=LOADED_AT)
    return catalogue


@pytest.fixture
def make_person(sessions: sessionmaker[Session]) -> Callable[..., Person]:
    """Add a person: make_person("a@example.org", role="secretary", jurisdiction="sindh")."""

    def make(
        email: str,
        *,
        role: str = "officer",
        jurisdiction: str = "punjab",
        department: str = "law",
        name: str | None = None,
        language: str = "en",
        active: bool = True,
    ) -> Person:
        with transaction(sessions) as session:
            person = Person(
                email=email,
                name=name or email.partition("@")[0],
                role=role,
                jurisdiction=jurisdiction,
                department=department,
                language=language,
                active=active,
                created_at=LOADED_AT,
            )
            session.add(person)
        return person

    return make


@pytest.fixture
def make_commitment(
    sessions: sessionmaker[Session], catalogue: Catalogue
) -> Callable[..., Commitment]:
    """Start a commitment through the workflow, as loading a meeting would.

    make_commitment("NAP-HR-99", "action_task", "federal", officer="x@example.org",
    parent="DHRC-PUNJAB"); `using` names another catalogue (e.g. with a newer version).
    """

    def make(
        key: str,
        pipeline: str = "action_task",
        jurisdiction: str = "punjab",
        *,
        title: str | None = None,
        department: str = "human_rights",
        officer: str | None = None,
        parent: str | None = None,
        start_date: date = date(2026, 6, 12),
        deadline: date | None = None,
        using: Catalogue | None = None,
    ) -> Commitment:
        with transaction(sessions) as session:
            return workflow.create(
                session,
                using or catalogue,
                workflow.NewCommitment(
                    key=key,
                    title=title or f"Test commitment {key}",
                    pipeline=pipeline,
                    jurisdiction=jurisdiction,
                    department=department,
                    start_date=start_date,
                    started_at=LOADED_AT,
                    officer=people.by_email(session, officer) if officer else None,
                    deadline=deadline,
                    parent=queries.get_commitment(session, parent) if parent else None,
                ),
                actor=SYSTEM_ACTOR,
            )

    return make


@pytest.fixture
def advance(
    sessions: sessionmaker[Session], catalogue: Catalogue, clock: Callable[[], datetime]
) -> Callable[..., workflow.Advanced]:
    """Take one action in its own transaction, as one CLI or web request would.

    advance("CMB-PUNJAB", "send_for_vetting", "law.officer.punjab@example.org",
    fields={...}, comment="...", expected_version=2, using=other_catalogue)
    """

    def act(
        key: str,
        action: str,
        actor_email: str,
        *,
        fields: Mapping[str, str] | None = None,
        comment: str | None = None,
        expected_version: int | None = None,
        using: Catalogue | None = None,
    ) -> workflow.Advanced:
        with transaction(sessions) as session:
            return workflow.advance(
                session,
                using or catalogue,
                key=key,
                action=action,
                actor_email=actor_email,
                fields=fields,
                comment=comment,
                now=clock(),
                expected_version=expected_version,
            )

    return act


@pytest.fixture
def activate_committee(
    advance: Callable[..., workflow.Advanced],
) -> Callable[..., workflow.Advanced]:
    """Walk a committee_activation commitment as its officer, up to `until`; returns the last step.

    activate_committee("DHRC-SINDH", "hr.officer.sindh@example.org", until="first_meeting_held")
    """

    def walk(key: str, officer: str, *, until: str = "operational") -> workflow.Advanced:
        for action, stage, fields in COMMITTEE_STEPS:
            result = advance(key, action, officer, fields=fields)
            if stage == until:
                return result
        raise ValueError(f"committee_activation has no stage {until!r} to walk to")

    return walk


@pytest.fixture
def activate_districts(
    sessions: sessionmaker[Session], catalogue: Catalogue, clock: Callable[[], datetime]
) -> Callable[..., list[str]]:
    """Walk every open district committee under a province's commitment to operational, as
    the province's officer, in one transaction, but those `leaving` open; returns their keys.

    activate_districts("DHRC-PUNJAB", "hr.officer.punjab@example.org",
    leaving={"DHRC-PUNJAB-LAHORE"})
    """

    def walk(province: str, officer: str, *, leaving: Collection[str] = ()) -> list[str]:
        with transaction(sessions) as session:
            parent = queries.get_commitment(session, province)
            keys = [
                c.key
                for c in queries.children(session, parent)
                if c.status == "open" and c.key not in leaving
            ]
            for key in keys:
                for action, _, fields in COMMITTEE_STEPS:
                    workflow.advance(
                        session,
                        catalogue,
                        key=key,
                        action=action,
                        actor_email=officer,
                        fields=fields,
                        now=clock(),
                    )
        return keys

    return walk


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> Callable[..., dict[str, Any]]:
    """What the database holds for a commitment, read in a new session: its row and history.

    stored("CMB-PUNJAB"), or stored("CMB-PUNJAB", through=other_sessionmaker).
    """

    def read(key: str, *, through: sessionmaker[Session] | None = None) -> dict[str, Any]:
        with (through or sessions)() as session:
            return snapshot(session, key)

    return read


def snapshot(session: Session, key: str) -> dict[str, Any]:
    """A commitment's stored state and its whole event log, as plain values."""
    commitment = queries.get_commitment(session, key)
    return {
        "key": commitment.key,
        "pipeline": (commitment.pipeline_key, commitment.pipeline_version),
        "stage": commitment.stage,
        "status": commitment.status,
        "stage_entered_at": commitment.stage_entered_at,
        "closed_at": commitment.closed_at,
        "fields": dict(commitment.fields),
        "version": commitment.version,
        "history": [
            {
                "seq": event.seq,
                "kind": event.kind,
                "at": event.at,
                "actor": event.actor_email,
                "role": event.actor_role,
                "action": event.action,
                "from": event.from_stage,
                "to": event.to_stage,
                "fields": dict(event.fields),
                "comment": event.comment,
            }
            for event in queries.history(session, commitment)
        ],
    }


@pytest.fixture
def event_count(sessions: sessionmaker[Session]) -> Callable[[], int]:
    """How many events the whole log holds."""

    def count() -> int:
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(Event)) or 0

    return count


@pytest.fixture
def sweep(sessions: sessionmaker[Session], catalogue: Catalogue) -> Callable[..., SweepReport]:
    """Run the sweep as of `now`, on weekends and Pakistan's public holidays only.

    sweep(now), or sweep(now, using=other_catalogue, through=other_sessionmaker).
    """

    def run(
        now: datetime,
        *,
        using: Catalogue | None = None,
        through: sessionmaker[Session] | None = None,
    ) -> SweepReport:
        return run_sweep(through or sessions, using or catalogue, WorkingCalendar(), now=now)

    return run


@pytest.fixture
def escalations_stored(sessions: sessionmaker[Session]) -> Callable[..., list[dict[str, Any]]]:
    """Every escalation (reminders are level 0) with the recipients of its outbox messages.

    escalations_stored(), or escalations_stored("CSW-PUNJAB") for one commitment; ordered
    by key, stall episode and level.
    """

    def read(key: str | None = None) -> list[dict[str, Any]]:
        with sessions() as session:
            query = select(Escalation, Commitment.key).join(
                Commitment, Commitment.id == Escalation.commitment_id
            )
            if key is not None:
                query = query.where(Commitment.key == key)
            rows = session.execute(
                query.order_by(Commitment.key, Escalation.stage_seq, Escalation.level)
            ).all()
            messages: dict[int, list[str]] = {}
            for escalation_id, email in session.execute(
                select(OutboxMessage.escalation_id, OutboxMessage.recipient_email).order_by(
                    OutboxMessage.recipient_email
                )
            ):
                if escalation_id is not None:
                    messages.setdefault(escalation_id, []).append(email)
            return [
                {
                    "key": commitment_key,
                    "stage_seq": row.stage_seq,
                    "level": row.level,
                    "role": row.role,
                    "reason": row.reason,
                    "recipients": list(row.recipients),
                    "missing_role": row.missing_role,
                    "created_at": row.created_at,
                    "acknowledged_at": row.acknowledged_at,
                    "acknowledged_by": row.acknowledged_by,
                    "messages": messages.get(row.id, []),
                }
                for row, commitment_key in rows
            ]

    return read


# A real SMTP server: the `smtp_server` fixture of tests/conftest.py.
