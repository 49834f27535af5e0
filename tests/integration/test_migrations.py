"""The migrations build exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, transaction
from db.migrate import current_revision, head_revision, is_current, upgrade
from db.migrations import in_models
from db.models import Base, Commitment, Event, Person, PipelineVersion

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def empty_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database no migration has touched."""
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def schema_differences(engine: Engine) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": in_models}
        )
        return list(compare_metadata(context, Base.metadata))


def schema_snapshot(engine: Engine) -> dict[str, Any]:
    inspector = inspect(engine)
    return {
        table: {
            "columns": [column["name"] for column in inspector.get_columns(table)],
            "indexes": sorted(index["name"] or "" for index in inspector.get_indexes(table)),
            "unique": sorted(
                unique["name"] or "" for unique in inspector.get_unique_constraints(table)
            ),
            "foreign_keys": sorted(fk["name"] or "" for fk in inspector.get_foreign_keys(table)),
        }
        for table in sorted(inspector.get_table_names())
    }


def add_commitment_with_event(sessions: sessionmaker[Session]) -> int:
    """The smallest history there can be: one person, pipeline, commitment and event."""
    with transaction(sessions) as session:
        officer = Person(
            email="officer@example.org",
            name="An Officer",
            role="officer",
            jurisdiction="Lahore",
            department="Finance",
            created_at=NOW,
        )
        session.add(officer)
        session.add(
            PipelineVersion(
                key="bill",
                version=1,
                title="Bill",
                checksum="0" * 64,
                definition="key: bill",
                origin="test",
                registered_at=NOW,
            )
        )
        session.flush()
        commitment = Commitment(
            key="C-1",
            title="Draft the bill",
            pipeline_key="bill",
            pipeline_version=1,
            jurisdiction="Lahore",
            department="Finance",
            officer_id=officer.id,
            stage="drafting",
            stage_entered_at=NOW,
            start_date=date(2025, 3, 1),
            created_at=NOW,
        )
        session.add(commitment)
        session.flush()
        event = Event(
            commitment_id=commitment.id,
            seq=1,
            kind="created",
            at=NOW,
            actor_email=officer.email,
            actor_role="officer",
            to_stage="drafting",
            comment="opened",
        )
        session.add(event)
        session.flush()
        return event.id


def test_migrating_an_empty_database_gives_exactly_the_models_schema(
    empty_engine: Engine,
) -> None:
    assert current_revision(empty_engine) is None
    assert not is_current(empty_engine)

    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision()
    assert is_current(empty_engine)
    assert schema_differences(empty_engine) == []
    assert set(inspect(empty_engine).get_table_names()) == {
        *Base.metadata.tables,
        "alembic_version",
    }


def test_upgrading_twice_changes_nothing(engine: Engine, sessions: sessionmaker[Session]) -> None:
    event_id = add_commitment_with_event(sessions)
    before = schema_snapshot(engine)

    upgrade(engine)

    assert is_current(engine)
    assert current_revision(engine) == head_revision()
    assert schema_snapshot(engine) == before
    assert schema_differences(engine) == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1
        assert session.get_one(Event, event_id).comment == "opened"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET comment = 'rewritten'",
        "UPDATE events SET to_stage = 'passed' WHERE seq = 1",
        "DELETE FROM events",
    ],
    ids=["update", "update-stage", "delete"],
)
def test_the_event_log_refuses_edits(
    engine: Engine, sessions: sessionmaker[Session], statement: str
) -> None:
    event_id = add_commitment_with_event(sessions)

    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))

    with sessions() as session:
        event = session.get_one(Event, event_id)
        assert (event.comment, event.to_stage) == ("opened", "drafting")


def test_the_event_log_still_takes_new_events(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    first = add_commitment_with_event(sessions)
    with transaction(sessions) as session:
        commitment_id = session.get_one(Event, first).commitment_id
        session.add(
            Event(
                commitment_id=commitment_id,
                seq=2,
                kind="transition",
                at=NOW,
                actor_email="officer@example.org",
                actor_role="officer",
                action="submit",
                from_stage="drafting",
                to_stage="review",
            )
        )
    with sessions() as session:
        assert session.scalars(select(Event.seq).order_by(Event.seq)).all() == [1, 2]


def test_foreign_keys_are_enforced(engine: Engine, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), transaction(sessions) as session:
        session.add(
            Event(
                commitment_id=12345,
                seq=1,
                kind="created",
                at=NOW,
                actor_email="nobody@example.org",
                actor_role="officer",
                to_stage="drafting",
            )
        )


def test_sqlite_connections_use_foreign_keys_and_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/taskforce.sqlite3")
    try:
        upgrade(engine)
        # Two connections open at once, so both are new: each must be configured.
        first, second = engine.raw_connection(), engine.raw_connection()
        try:
            for connection in (first, second):
                cursor = connection.cursor()
                assert cursor.execute("PRAGMA foreign_keys").fetchone() == (1,)
                assert cursor.execute("PRAGMA journal_mode").fetchone() == ("wal",)
                cursor.close()
        finally:
            first.close()
            second.close()
    finally:
        engine.dispose()
