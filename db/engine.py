"""Engines and sessions, configured the same way wherever they are made.

SQLite gets WAL, foreign keys, a busy timeout, and write transactions that
begin IMMEDIATE so two writers queue instead of failing half-way. On every engine
a lost or refused connection becomes `DatabaseUnavailableError` (see
`_unavailable`), so the command line, the web and the flows all see one kind of
error, without SQL, that a retry may cure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from states.errors import ConfigurationError, DatabaseUnavailableError

SQLITE_BUSY_SECONDS = 30
READ_ONLY = "taskforce_read_only"

# PostgreSQL error classes that mean the server is going away or cannot take us:
# connection exceptions, operator intervention (shutdown, crash recovery, starting
# up), insufficient resources (too many connections, disk full).
_UNAVAILABLE_SQLSTATES = ("08", "57P", "53")
# What the server answers at connect when the settings, not the server, are wrong:
# those stay configuration errors.
_MISCONFIGURED = (
    "does not exist",
    "authentication failed",
    "no pg_hba.conf entry",
    "permission denied",
    "password",
)
_SQLITE_BUSY = ("database is locked", "database table is locked")


def make_engine(url: str) -> Engine:
    """An engine for `url` (sqlite:///file or postgresql+psycopg://...).

    A lost or refused connection on it raises `DatabaseUnavailableError`.
    """
    engine = _make_engine(url)
    event.listen(engine, "handle_error", _unavailable)
    return engine


def _unavailable(context: ExceptionContext) -> None:
    """Turn a lost or refused connection into `DatabaseUnavailableError`; leave the rest.

    Raised here, the error replaces the driver's (and its SQL) wherever the engine
    is used; SQLAlchemy still invalidates the dead connection, so the pool (with its
    pre-ping) reconnects by itself once the database is back. A failed pre-ping is
    left alone: the pool handles it by opening a new connection.
    """
    if context.is_pre_ping:
        return
    error = context.original_exception
    text = " ".join(str(error).split())
    where = context.engine.url.render_as_string(hide_password=True) if context.engine else "?"
    if context.dialect.name == "sqlite":
        if any(busy in text for busy in _SQLITE_BUSY):
            raise DatabaseUnavailableError(
                f"the database {where} stayed busy: another writer held it for more than"
                f" {SQLITE_BUSY_SECONDS} seconds; nothing was changed, try again"
            ) from error
        return
    sqlstate = str(getattr(error, "sqlstate", None) or "")
    lost = context.is_disconnect or sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    refused = (
        context.connection is None
        and type(error).__name__ == "OperationalError"
        and not any(sign in text for sign in _MISCONFIGURED)
    )
    if lost:
        raise DatabaseUnavailableError(
            f"the database {where} is unavailable ({_reason(text)}); nothing that had not"
            " committed was changed — try again once the database is back"
        ) from error
    if refused:
        raise DatabaseUnavailableError(
            f"cannot reach the database {where} ({_reason(text)}); try again once it is up"
        ) from error


def _reason(text: str) -> str:
    """The driver's own words, without its advice and cut to a line."""
    reason = text.split(" Is the server running")[0].split(" This probably means")[0]
    return reason[:200]


def _make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"database URL {url!r} is not a URL; use sqlite:///path/to/file.sqlite3"
            " or postgresql+psycopg://user:password@host/dbname"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ConfigurationError(
                f"use the psycopg 3 driver: postgresql+psycopg://... (got {parsed.drivername})"
            )
        return create_engine(url, pool_pre_ping=True)
    raise ConfigurationError(
        f"unsupported database {parsed.get_backend_name()!r}; use SQLite or PostgreSQL"
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if not database or database == ":memory:":
        raise ConfigurationError(
            "an in-memory SQLite database loses everything on exit; name a file:"
            " sqlite:///taskforce.sqlite3"
        )
    folder = Path(database).expanduser().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(
            f"cannot create the folder {folder} for the SQLite database: {error.strerror}"
        ) from None
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" hook below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        # Readers (see `reading`) take no write lock: under WAL they never wait for writers.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commits if the block succeeds, rolls back if it raises."""
    with factory.begin() as session:
        yield session


def reader_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reading only: a consistent snapshot without taking SQLite's write lock.

    On PostgreSQL the transaction is declared READ ONLY, so a write by mistake fails.
    """
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return sessionmaker(engine.execution_options(**options), expire_on_commit=False)
