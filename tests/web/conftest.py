"""Fixtures for the web: the app on a loaded database, signed-in browsers and API clients.

`site` runs each test on a new SQLite file and on a new PostgreSQL database, with
the bundled meeting loaded and every person's password set to PASSWORD. The
clock is fixed at WEB_NOW, when several commitments have stalled.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from db import tokens
from db.engine import transaction
from db.loading import load_meeting
from db.models import Person
from states.meeting import load_meeting_file
from taskforce.app import App, open_app
from taskforce.data import BUNDLED_MEETING
from taskforce.settings import Settings
from taskforce.web.app import create_app

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


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    installation = open_app(Settings(database_url=database_url), migrate_schema=True)
    try:
        with transaction(installation.sessions) as session:
            meeting = load_meeting_file(BUNDLED_MEETING)
            load_meeting(session, installation.catalogue, meeting, now=LOADED_AT)
            session.execute(update(Person).values(password_hash=PASSWORD_HASH))
        app = create_app(installation.settings, installation=installation, clock=lambda: WEB_NOW)
        yield Site(app=app, installation=installation)
    finally:
        installation.close()
