"""The bundled sample, ready to sign in to: its meeting loaded and its people given a password."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select

from db import accounts
from db.engine import transaction
from db.loading import load_meeting
from db.models import Commitment, Person
from states.meeting import load_meeting_file
from taskforce.app import App
from taskforce.data import BUNDLED_MEETING

SAMPLE_DOMAIN = "@example.org"


def prepare(application: App, *, now: datetime) -> str | None:
    """Load the bundled meeting into an empty database and give its people one password.

    Only people of the sample's reserved example.org domain who have no password
    get one, so real accounts are never touched. Returns the new password, or
    None when every sample person already had one.
    """
    with transaction(application.sessions) as session:
        if session.scalar(select(func.count()).select_from(Commitment)) == 0:
            meeting = load_meeting_file(BUNDLED_MEETING)
            load_meeting(session, application.catalogue, meeting, now=now)
        waiting = session.scalars(
            select(Person).where(
                Person.email.endswith(SAMPLE_DOMAIN), Person.password_hash.is_(None)
            )
        ).all()
        if not waiting:
            return None
        password = "-".join(secrets.token_hex(3) for _ in range(4))
        accounts.set_passwords(session, waiting, password, now=now)
    return password
