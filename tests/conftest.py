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
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
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


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the latest schema, made once per run."""
    path = tmp_path_factory.mktemp("migrated") / "taskforce.sqlite3"
    # The engine is closed after, so its write-ahead log is in the file before any copy.
    _migrate(f"sqlite:///{path}")
    return path


@contextmanager
def prepared_postgres(
    server: Engine, prefix: str, prepare: Callable[[str], None], *, template: str | None = None
) -> Iterator[str]:
    """A new PostgreSQL database (a copy of `template`, or empty) that `prepare(url)` fills;
    its name, for tests to copy it with CREATE DATABASE ... TEMPLATE; dropped afterwards.

    `prepare` must leave no connection open: a template is copied only when unused.
    """
    name = f"{prefix}_{uuid.uuid4().hex}"
    copied = f' TEMPLATE "{template}"' if template else ""
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copied}'))
    try:
        prepare(server.url.set(database=name).render_as_string(hide_password=False))
        yield name
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_postgres(postgres_server: Engine) -> Iterator[str]:
    """The name of a PostgreSQL database migrated to the latest schema, made once per run."""
    with prepared_postgres(postgres_server, "migrated", _migrate) as name:
        yield name


@pytest.fixture
def database_template() -> tuple[str, str]:
    """The fixtures naming the prepared databases a test's database is copied from.

    Here the migrated ones; a conftest below may prepare more (tests/integration
    has the bundled meeting loaded).
    """
    return ("migrated_sqlite", "migrated_postgres")


def copy_prepared(
    request: pytest.FixtureRequest, database_url: str, template: tuple[str, str]
) -> None:
    """Make the test's new, empty database a copy of a prepared one.

    Migrating each test's database anew took most of the time of a short test;
    the migrations themselves are tested from an empty database in test_migrations.
    """
    sqlite_template, postgres_template = template
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        target = Path(url.database)
        if not target.exists():  # else the test made it: it is migrated as it is
            shutil.copyfile(request.getfixturevalue(sqlite_template), target)
        return
    server: Engine = request.getfixturevalue("postgres_server")
    source = request.getfixturevalue(postgres_template)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{url.database}"'))
        connection.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE "{source}"'))


@pytest.fixture
def engine(
    request: pytest.FixtureRequest, database_url: str, database_template: tuple[str, str]
) -> Iterator[Engine]:
    """An engine on the test's database, migrated to the latest schema."""
    copy_prepared(request, database_url, database_template)
    engine = make_engine(database_url)
    try:
        upgrade(engine)  # only checks, unless the test made the file itself
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
