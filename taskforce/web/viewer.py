"""The signed-in person, found from the browser session or an API token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from db import accounts
from db.models import Person
from states.access import Access, allows
from states.actors import Actor, Role

SESSION_PERSON = "person"
SESSION_STAMP = "stamp"
SESSION_CSRF = "csrf"
# A visitor's choice of language before signing in (kept as their pages' language at sign-in).
SESSION_LANGUAGE = "language"


@dataclass(frozen=True)
class Viewer:
    """Who is asking, as the rules and the templates need them."""

    person_id: int
    email: str
    name: str
    role: Role
    jurisdiction: str
    department: str
    language: str  # of the pages
    mail_language: str

    @property
    def actor(self) -> Actor:
        return Actor(
            email=self.email,
            role=self.role,
            jurisdiction=self.jurisdiction,
            name=self.name,
            department=self.department,
        )

    @property
    def oversees(self) -> bool:
        """Whether the board and the digests are for this person (the navigation asks)."""
        return allows(Access.BOARD, self.actor)

    @classmethod
    def of(cls, person: Person) -> Viewer:
        return cls(
            person_id=person.id,
            email=person.email,
            name=person.name,
            role=Role(person.role),
            jurisdiction=person.jurisdiction,
            department=person.department,
            language=person.page_language or person.language,
            mail_language=person.language,
        )


def from_session(request: Request, session: Session) -> Viewer | None:
    """The person this browser signed in as, if the sign-in still holds.

    Signing out, a changed password, or a person made inactive ends every earlier session.
    """
    person_id = request.session.get(SESSION_PERSON)
    if not isinstance(person_id, int):
        return None
    person = session.get(Person, person_id)
    if person is None or not person.active:
        return None
    if request.session.get(SESSION_STAMP) != accounts.session_stamp(person):
        return None
    return Viewer.of(person)


def start_session(request: Request, person: Person) -> None:
    """Remember the sign-in in the signed cookie, with a fresh CSRF token."""
    request.session.clear()
    request.session[SESSION_PERSON] = person.id
    request.session[SESSION_STAMP] = accounts.session_stamp(person)
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def end_session(request: Request, session: Session, viewer: Viewer) -> None:
    """Sign out: every session of the viewer ends on the server, and this cookie is emptied.

    Clearing the cookie alone would leave a copy of it working until it expires.
    """
    accounts.end_sessions(session, viewer.person_id)
    request.session.clear()


def csrf_token(request: Request) -> str:
    """This browser session's CSRF token, made on first use (the sign-in form needs one too)."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token
