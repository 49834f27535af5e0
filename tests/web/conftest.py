"""Fixtures for the web: the app on a loaded database, signed-in browsers and API clients.

`site` runs each test on a new SQLite file and on a new PostgreSQL database, with
the bundled meeting loaded and every person's password set to PASSWORD. Both are
copies of a database prepared once per run (a file copy; CREATE DATABASE ...
TEMPLATE), which saves migrating and loading for every test. The clock is fixed
at WEB_NOW, when several commitments have stalled.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text, update

from db import instance, tokens
from db.engine import transaction
from db.loading import load_meeting
from db.models import Person
from states.meeting import load_meeting_file
from taskforce.app import App, open_app
from taskforce.data import BUNDLED_MEETING
from taskforce.settings import Settings
from taskforce.web.app import create_app
from tests.conftest import prepared_postgres

LOADED_AT = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)
WEB_NOW = datetime(2026, 7, 27, 6, 0, tzinfo=UTC)
PASSWORD = "a long enough test passphrase"
# Hashed once for the whole run: argon2 is slow on purpose.
PASSWORD_HASH = PasswordHasher().hash(PASSWORD)
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    """The web app on a loaded database, and ways in as any of its people."""

    app: FastAPI
    installation: App

    def anonymous(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver", follow_redirects=False)

    def browser(self, email: str, password: str = PASSWORD) -> TestClient:
        """A client signed in through the sign-in form, as a browser would be."""
        client = self.anonymous()
        response = client.post(
            "/sign-in",
            data={
                "email": email,
                "password": password,
                "next": "/",
                "csrf_token": csrf_of(client, "/sign-in"),
            },
        )
        assert response.status_code == 303, f"{email} could not sign in: {response.text[:500]}"
        return client

    def token(self, email: str) -> str:
        with transaction(self.installation.sessions) as session:
            return tokens.create_token(session, email=email, name="test", now=WEB_NOW)

    def api(self, email: str) -> TestClient:
        """A client sending a fresh API token of `email`, and no cookies."""
        client = self.anonymous()
        client.headers["Authorization"] = f"Bearer {self.token(email)}"
        return client


def csrf_of(client: TestClient, path: str) -> str:
    """The CSRF token on the form at `path`, read as the browser would read it."""
    page = client.get(path)
    found = CSRF_INPUT.search(page.text)
    assert found, f"no CSRF token in the page at {path} ({page.status_code})"
    return found.group(1)


def _prepare(database_url: str) -> None:
    """Migrate, register the pipelines, load the bundled meeting and set everyone's password."""
    installation = open_app(Settings(database_url=database_url), migrate_schema=True)
    try:
        with transaction(installation.sessions) as session:
            meeting = load_meeting_file(BUNDLED_MEETING)
            load_meeting(session, installation.catalogue, meeting, now=LOADED_AT)
            session.execute(update(Person).values(password_hash=PASSWORD_HASH))
            # The signing key too, so every copy starts the same.
            instance.secret(session, instance.SESSION_KEY, now=LOADED_AT)
    finally:
        installation.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prepared SQLite file, made once; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("web-template") / "taskforce.sqlite3"
    _prepare(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: Engine, migrated_postgres: str) -> Iterator[str]:
    """A prepared PostgreSQL database, made once; each test gets a copy (CREATE ... TEMPLATE)."""
    with prepared_postgres(postgres_server, "web", _prepare, template=migrated_postgres) as name:
        yield name


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def site_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database for one test, copied from the prepared one: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        copy = tmp_path / "taskforce.sqlite3"
        # The template's engine is closed: its WAL is checkpointed into the file.
        shutil.copyfile(template, copy)
        yield f"sqlite:///{copy}"
        return
    server: Engine = request.getfixturevalue("postgres_server")
    source = request.getfixturevalue("postgres_template")
    name = f"test_{uuid.uuid4().hex}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    try:
        yield server.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def site(site_url: str, tmp_path: Path) -> Iterator[Site]:
    # The data folder (uploaded sheets waiting to be applied) is the test's own.
    installation = open_app(Settings(database_url=site_url, data_dir=tmp_path / "data"))
    try:
        app = create_app(installation.settings, installation=installation, clock=lambda: WEB_NOW)
        yield Site(app=app, installation=installation)
    finally:
        installation.close()
