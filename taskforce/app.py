"""Wiring: settings to an engine, an up-to-date schema and the registered pipelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from db import migrate, pipelines
from db.engine import make_engine, session_factory, transaction
from states.calendar import WorkingCalendar, load_calendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.errors import ConfigurationError
from taskforce.settings import Settings


@dataclass
class App:
    """An open installation: its settings, database and pipeline catalogue."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalogue: Catalogue
    calendar: WorkingCalendar

    def close(self) -> None:
        self.engine.dispose()


def definition_dirs(settings: Settings) -> list[Path]:
    dirs = [BUNDLED_PIPELINES]
    if settings.pipelines_dir is not None:
        if not settings.pipelines_dir.is_dir():
            raise ConfigurationError(
                f"TASKFORCE_PIPELINES_DIR={settings.pipelines_dir} is not a folder"
            )
        dirs.append(settings.pipelines_dir)
    return dirs


def open_app(settings: Settings, *, migrate_schema: bool | None = None) -> App:
    """Open the database, bring it up to date and register the pipeline files.

    SQLite databases are created and upgraded on first use; a PostgreSQL database
    is upgraded only by `taskforce init` (migrate_schema=True), so production
    schema changes happen when an operator decides.
    """
    calendar = load_calendar(settings.calendar_file)
    engine = make_engine(settings.database_url)
    try:
        if migrate_schema is None:
            migrate_schema = engine.dialect.name == "sqlite"
        # One query when the schema is current: Alembic is loaded only to migrate.
        if not migrate.is_current(engine):
            if not migrate_schema:
                raise ConfigurationError(
                    "the database schema is not up to date; run: taskforce init"
                )
            migrate.upgrade(engine)
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            pipelines.register_files(session, definition_dirs(settings), now=datetime.now(UTC))
            catalogue = pipelines.registered(session)
    except DatabaseError as error:
        engine.dispose()
        raise ConfigurationError(
            f"cannot use the database {engine.url.render_as_string(hide_password=True)}:"
            f" {' '.join(str(error.orig).split())}"
        ) from None
    except BaseException:
        engine.dispose()
        raise
    return App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        catalogue=catalogue,
        calendar=calendar,
    )
