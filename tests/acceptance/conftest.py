"""Fixtures for driving the installed `taskforce` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

# The console script installed next to the interpreter running the tests.
TASKFORCE = Path(sys.executable).parent / "taskforce"
TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Run:
    """What one `taskforce` command did."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def said(self) -> str:
        """stderr with its whitespace collapsed, for checking what a message says."""
        return " ".join(self.stderr.split())


def _environment(overrides: Mapping[str, str]) -> dict[str, str]:
    # Nothing from the developer's shell may change what the command does: no
    # settings, no debug tracebacks, no terminal width.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("TASKFORCE_") and name not in ("COLUMNS", "LINES")
    }
    env.update(overrides)
    return env


def run_taskforce(
    cwd: Path, database_url: str, *args: str, stdin: str | None = None, **env: str
) -> Run:
    """Run `taskforce ARGS` in `cwd` on `database_url` and wait for it.

    Standard input is `stdin`, or closed when None.
    """
    assert TASKFORCE.is_file(), f"the taskforce command is not installed at {TASKFORCE}"
    done = subprocess.run(
        [str(TASKFORCE), *args],
        cwd=cwd,
        env=_environment({"TASKFORCE_DATABASE_URL": database_url, **env}),
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    return Run(tuple(args), done.returncode, done.stdout, done.stderr)


@pytest.fixture
def taskforce(tmp_path: Path) -> Callable[..., Run]:
    """`taskforce(*args, **env)` on a new SQLite database in tmp_path, run from tmp_path."""
    url = f"sqlite:///{tmp_path}/taskforce.sqlite3"

    def run(*args: str, stdin: str | None = None, **env: str) -> Run:
        return run_taskforce(tmp_path, url, *args, stdin=stdin, **env)

    return run


@pytest.fixture(scope="module")
def loaded_taskforce(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Run]:
    """`taskforce(*args)` on one SQLite database with the bundled meeting loaded.

    Shared by a module's tests to save time: use it only for commands that are
    refused or only read, so no test sees another's changes.
    """
    folder = tmp_path_factory.mktemp("loaded")
    url = f"sqlite:///{folder}/taskforce.sqlite3"
    for args in (("init",), ("load",)):
        done = run_taskforce(folder, url, *args)
        assert done.code == 0, done.stderr

    def run(*args: str, **env: str) -> Run:
        return run_taskforce(folder, url, *args, **env)

    return run


@pytest.fixture
def taskforce_on(tmp_path: Path) -> Callable[[str], Callable[..., Run]]:
    """taskforce_on(url)(*args): the command on another database, run from tmp_path."""

    def on(database_url: str) -> Callable[..., Run]:
        def run(*args: str, **env: str) -> Run:
            return run_taskforce(tmp_path, database_url, *args, **env)

        return run

    return on
