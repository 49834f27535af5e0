"""Fixtures shared by every test: a database of each kind, migrated, and sessions on it.

A test that asks for `database_url`, `engine` or `sessions` runs twice: once on a
new SQLite file and once on a new PostgreSQL database. The PostgreSQL run needs
a server: `make test` starts a throwaway one and sets TASKFORCE_TEST_POSTGRES_URL
(a superuser's URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
Without that variable the PostgreSQL runs are skipped, unless
TASKFORCE_TEST_REQUIRE_POSTGRES=1, when they fail instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from db.engine import make_engine, session_factory
from db.migrate import upgrade


def _load_smtp_server() -> None:
    """Make tests/smtp_server.py importable as `smtp_server` (tests/ is not a package)."""
    if "smtp_server" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "smtp_server", Path(__file__).parent / "smtp_server.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["smtp_server"] = module
    spec.loader.exec_module(module)


# Loaded with the first conftest, so any test module can `from smtp_server import SmtpServer`.
_load_smtp_server()

POSTGRES_URL_VARIABLE = "TASKFORCE_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "TASKFORCE_TEST_REQUIRE_POSTGRES"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the test server's maintenance database, for CREATE/DROP DATABASE."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if not url:
        if os.environ.get(REQUIRE_POSTGRES_VARIABLE) == "1":
            pytest.fail(
                f"{REQUIRE_POSTGRES_VARIABLE}=1 but {POSTGRES_URL_VARIABLE} is not set:"
                " run the tests with `make test`, which starts a PostgreSQL server, or set"
                f" {POSTGRES_URL_VARIABLE} to a superuser's URL"
                " (postgresql+psycopg://user@host:port/postgres)",
                pytrace=False,
            )
        pytest.skip(
            f"no PostgreSQL server: set {POSTGRES_URL_VARIABLE} (make test does it for you)"
        )
    server = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        yield server
    finally:
        server.dispose()


def _fresh_postgres_database(server: Engine) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            # FORCE ends connections a test left open (engines it did not dispose).
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, new for this test: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/taskforce.sqlite3"
        return
    server: Engine = request.getfixturevalue("postgres_server")
    yield from _fresh_postgres_database(server)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the latest schema."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the migrated database (use with db.engine.transaction)."""
    return session_factory(engine)


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """An aiosmtpd server on a free port of 127.0.0.1, keeping every message it accepts.

    smtp_server.refuse(2, "421 4.3.2 busy"), smtp_server.stop() (connections refused),
    smtp_server.messages, smtp_server.message_ids(); see tests/smtp_server.py.
    """
    from smtp_server import SmtpServer

    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()
