"""Benchmark databases: fresh SQLite files in a folder, or fresh databases on one PostgreSQL server.

Every benchmark gets a database of its own, made the way the engine makes them
(db.engine settings, the migrations, the bundled pipelines registered), and the
bare-driver baselines connect to the same database with the same settings.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from db import migrate, pipelines
from db.engine import SQLITE_BUSY_SECONDS, make_engine, session_factory, transaction
from db.models import Person
from states.actors import FEDERAL, PROVINCES
from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue

DEPARTMENTS = ("law", "home", "women_development")
SEEDED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def officer_email(province: str, department: str) -> str:
    return f"officer.{department}.{province}@bench.example.org"


def secretary_email(province: str, department: str) -> str:
    return f"secretary.{department}.{province}@bench.example.org"


@dataclass(frozen=True)
class Installation:
    """An open benchmark database: the engine's own engine, sessions and catalogue."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    catalogue: Catalogue
    calendar: WorkingCalendar

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True)
class Databases:
    """Makes and removes benchmark databases: SQLite by default, PostgreSQL given a server URL."""

    folder: Path
    server_url: str | None = None

    @property
    def kind(self) -> str:
        return "postgresql" if self.server_url else "sqlite"

    def fresh(self, name: str) -> str:
        """The URL of a new, empty database called `name` (an older one of that name is removed)."""
        if self.server_url is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{name}.sqlite3"
            for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
                leftover.unlink(missing_ok=True)
            return f"sqlite:///{path}"
        with self._server() as server:
            server.execute(text(f'DROP DATABASE IF EXISTS "bench_{name}" WITH (FORCE)'))
            server.execute(text(f'CREATE DATABASE "bench_{name}"'))
        return make_url(self.server_url).set(database=f"bench_{name}").render_as_string(False)

    def remove(self, url: str) -> None:
        """Drop a database `fresh` made."""
        parsed = make_url(url)
        if self.server_url is None:
            path = Path(parsed.database or "")
            for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
                leftover.unlink(missing_ok=True)
            return
        with self._server() as server:
            server.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))

    @contextmanager
    def _server(self) -> Iterator[Any]:
        assert self.server_url is not None
        server = create_engine(self.server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with server.connect() as connection:
                yield connection
        finally:
            server.dispose()


def install(url: str) -> Installation:
    """Migrate the database, register the bundled pipelines and add the people who act."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    files = Catalogue.from_directories([BUNDLED_PIPELINES])
    with transaction(sessions) as session:
        pipelines.register(session, files, now=SEEDED_AT)
        catalogue = pipelines.registered(session)
        session.execute(insert(Person), _people())
    return Installation(
        url=url, engine=engine, sessions=sessions, catalogue=catalogue, calendar=WorkingCalendar()
    )


def reopen(url: str) -> Installation:
    """An installation `install` made earlier, opened again (in another process, say)."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        catalogue = pipelines.registered(session)
    return Installation(
        url=url, engine=engine, sessions=sessions, catalogue=catalogue, calendar=WorkingCalendar()
    )


def _people() -> list[dict[str, Any]]:
    """The chair, and in every province a chief secretary, and an officer and a secretary
    for each department: enough for every rung of every ladder to have someone."""
    rows = [_person("chair@bench.example.org", "chair", FEDERAL, "human_rights")]
    for province in PROVINCES:
        rows.append(
            _person(f"cs.{province}@bench.example.org", "chief_secretary", province, "services")
        )
        for department in DEPARTMENTS:
            rows.append(
                _person(officer_email(province, department), "officer", province, department)
            )
            rows.append(
                _person(secretary_email(province, department), "secretary", province, department)
            )
    return rows


def _person(email: str, role: str, jurisdiction: str, department: str) -> dict[str, Any]:
    return {
        "email": email,
        "name": email.partition("@")[0].replace(".", " ").title(),
        "role": role,
        "jurisdiction": jurisdiction,
        "department": department,
        "language": "en",
        "active": True,
        "created_at": SEEDED_AT,
    }


def sqlite_connection(url: str) -> sqlite3.Connection:
    """A bare sqlite3 connection set up as db.engine sets up the engine's (WAL, synchronous
    NORMAL, foreign keys, busy timeout); the caller says BEGIN IMMEDIATE as the engine does."""
    path = make_url(url).database
    assert path
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_SECONDS, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def postgres_connection(url: str) -> psycopg.Connection[Any]:
    """A bare psycopg connection to the same database, default settings as the engine's."""
    parsed = make_url(url).set(drivername="postgresql")
    return psycopg.connect(parsed.render_as_string(hide_password=False))
