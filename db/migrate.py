"""Bringing a database's schema to the latest migration.

Every command opens the database, so knowing that it is already current must be
cheap: the head is read from the migration files' `revision` lines and the
database's revision with one query, without importing Alembic (a third of a
second). Alembic is loaded only to migrate, or when the files cannot be read that
simply (branches, merges), in which case it decides.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from db.engine import READ_ONLY

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"

_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"'](\w+)[\"']\s*$", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"^down_revision(?:\s*:\s*[\w |\[\],]+)?\s*=\s*(?:[\"'](\w+)[\"']|None)\s*$", re.MULTILINE
)


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that runs against `engine` (no alembic.ini needed)."""
    config = _script_config()
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration: read from the files when they form one line, else by Alembic."""
    head = _head_from_files()
    if head is not None:
        return head
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(_script_config()).get_current_head()
    assert found is not None
    return found


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for a database never migrated."""
    # Read only: on SQLite this takes no write lock, so it never waits for a writer.
    with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        # The table name is a constant of this module, never input.
        query = text(f"SELECT version_num FROM {VERSION_TABLE}")  # nosec B608
        rows = connection.execute(query).all()
    return rows[0][0] if len(rows) == 1 else None


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the latest migration."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def _head_from_files() -> str | None:
    """The one revision no other migration names as its parent, or None if unsure."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = _REVISION.findall(source)
        down = _DOWN_REVISION.findall(source)
        if not revision and not down:
            continue  # not a migration (__init__.py)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        if down[0]:
            parents.add(down[0])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def _script_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
