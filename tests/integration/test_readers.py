"""Read-only sessions: pages and lists read a snapshot without queueing behind writers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from db.engine import reader_factory, transaction
from db.models import InstanceSecret

WHEN = datetime(2026, 7, 1, tzinfo=UTC)


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(InstanceSecret)) or 0


def test_a_reader_sees_what_was_committed(engine: Engine, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        session.add(InstanceSecret(name="a", value="b", created_at=WHEN))
    with transaction(reader_factory(engine)) as session:
        assert _count(session) == 1


def test_a_reader_reads_while_a_writer_holds_its_transaction_open(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as writer:
        writer.add(InstanceSecret(name="a", value="b", created_at=WHEN))
        writer.flush()
        # On SQLite a second BEGIN IMMEDIATE would wait here for the writer's lock.
        with transaction(reader_factory(engine)) as reader:
            assert _count(reader) == 0
    with transaction(reader_factory(engine)) as reader:
        assert _count(reader) == 1


def test_a_writer_does_not_wait_for_an_open_reader(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with transaction(reader_factory(engine)) as reader:
        assert _count(reader) == 0
        with transaction(sessions) as writer:
            writer.add(InstanceSecret(name="a", value="b", created_at=WHEN))
    with transaction(sessions) as session:
        assert _count(session) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_reader_cannot_write(engine: Engine) -> None:
    with pytest.raises(DBAPIError, match="read-only"):
        with transaction(reader_factory(engine)) as reader:
            reader.add(InstanceSecret(name="a", value="b", created_at=WHEN))
            reader.flush()
