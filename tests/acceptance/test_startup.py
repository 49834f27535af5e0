"""What every command does before its own work: open the database, check the schema, register
the pipeline files. It must stay cheap without ever missing a schema or a definition change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from db import migrate, pipelines
from db.engine import make_engine, session_factory, transaction
from states.catalogue import BUNDLED_PIPELINES
from states.errors import ConfigurationError, VersionConflictError
from taskforce.app import definition_dirs, open_app
from taskforce.settings import Settings

NOW = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)
# Frameworks a command that lists or shows commitments has no use for: each costs
# tens to hundreds of milliseconds of start-up (argon2 also hashes at import).
NOT_FOR_READING = ("alembic", "argon2", "prefect", "fastapi", "uvicorn", "jinja2", "db.accounts")


def a_pipeline_file(folder: Path, *, title: str = "An extra task") -> Path:
    """A pipeline of its own (a renamed copy of a bundled one) in `folder`."""
    folder.mkdir(exist_ok=True)
    text = (BUNDLED_PIPELINES / "action_task.yaml").read_text(encoding="utf-8")
    text = text.replace("key: action_task", "key: extra_task", 1)
    text = text.replace("  en: Action plan task", f"  en: {title}", 1)
    assert f"en: {title}" in text
    path = folder / "extra_task.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_newest_migration_read_from_the_files_is_the_one_alembic_finds() -> None:
    script = ScriptDirectory(str(migrate.MIGRATIONS))
    assert migrate.head_revision() == script.get_current_head()


def test_a_database_a_migration_behind_is_upgraded_when_opened(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        script = ScriptDirectory.from_config(migrate.alembic_config(engine))
        head = script.get_revision(migrate.head_revision())
        assert isinstance(head.down_revision, str)
        command.upgrade(migrate.alembic_config(engine), head.down_revision)
        assert not migrate.is_current(engine)
        settings = Settings(database_url=database_url)
        if engine.dialect.name == "postgresql":
            # PostgreSQL is upgraded only when an operator says so (taskforce init).
            with pytest.raises(ConfigurationError, match="taskforce init"):
                open_app(settings)
            assert migrate.current_revision(engine) == head.down_revision
            open_app(settings, migrate_schema=True).close()
        else:
            open_app(settings).close()
        assert migrate.current_revision(engine) == head.revision
    finally:
        engine.dispose()


def test_unchanged_pipeline_files_are_registered_once(database_url: str, tmp_path: Path) -> None:
    a_pipeline_file(tmp_path / "pipelines")
    settings = Settings(database_url=database_url, pipelines_dir=tmp_path / "pipelines")
    open_app(settings, migrate_schema=True).close()
    engine = make_engine(database_url)
    try:
        with transaction(session_factory(engine)) as session:
            again = pipelines.register_files(session, definition_dirs(settings), now=NOW)
        assert again is False
        application = open_app(settings)
        assert application.catalogue.get("extra_task", 1).title.en == "An extra task"
        application.close()
    finally:
        engine.dispose()


def test_a_definition_changed_under_its_old_version_is_still_refused(
    database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "pipelines"
    a_pipeline_file(folder)
    settings = Settings(database_url=database_url, pipelines_dir=folder)
    open_app(settings, migrate_schema=True).close()
    a_pipeline_file(folder, title="The same task under another title")
    with pytest.raises(VersionConflictError, match="set version: 2"):
        open_app(settings)


def test_a_new_pipeline_file_is_registered_at_the_next_command(
    database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    settings = Settings(database_url=database_url, pipelines_dir=folder)
    open_app(settings, migrate_schema=True).close()
    a_pipeline_file(folder)
    application = open_app(settings)
    try:
        assert application.catalogue.get("extra_task", 1).title.en == "An extra task"
    finally:
        application.close()


@pytest.mark.slow
def test_listing_and_showing_load_no_framework_they_do_not_use(tmp_path: Path) -> None:
    """Imports are most of a command's time: only the web, the flows and sign-in need theirs."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TASKFORCE_")}
    env["TASKFORCE_DATABASE_URL"] = f"sqlite:///{tmp_path}/taskforce.sqlite3"
    taskforce = Path(sys.executable).parent / "taskforce"
    loaded = subprocess.run(
        [str(taskforce), "load"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert loaded.returncode == 0, loaded.stderr
    probe = (
        "import json, sys\n"
        "from taskforce.cli import main\n"
        "for args in (['list'], ['show', 'CMB-PUNJAB']):\n"
        "    sys.argv = ['taskforce', *args]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as stop:\n"
        "        assert not stop.code, stop.code\n"
        f"loaded = [m for m in {NOT_FOR_READING!r} if m in sys.modules]\n"
        "print(json.dumps(loaded), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
