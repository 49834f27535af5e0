"""Looking people up, and turning them into actors the rules understand."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Person
from states.actors import Actor, Role
from states.errors import NotFoundError
from states.message import Message
from states.people import checked_language


def by_email(session: Session, email: str) -> Person:
    """The person with `email` (any case), or a NotFoundError saying how to add them."""
    person = session.scalar(select(Person).where(func.lower(Person.email) == email.lower()))
    if person is None:
        raise NotFoundError(
            f"no person with email {email}; people come from the meeting file"
            " (taskforce load FILE) or are added with taskforce people add"
            " — check the spelling with: taskforce people"
        )
    if not person.active:
        raise NotFoundError(
            Message("{email} is no longer active and cannot act on commitments", email=email)
        )
    return person


def actor_for(person: Person) -> Actor:
    return Actor(
        email=person.email,
        role=Role(person.role),
        jurisdiction=person.jurisdiction,
        name=person.name,
        department=person.department,
    )


def all_people(session: Session) -> list[Person]:
    return list(
        session.scalars(select(Person).order_by(Person.jurisdiction, Person.role, Person.email))
    )


def set_page_language(session: Session, email: str, language: str) -> None:
    """The language of `email`'s web pages; their mail keeps its own."""
    by_email(session, email).page_language = checked_language(email, language)


def set_mail_language(session: Session, email: str, language: str) -> None:
    """The language `email`'s mail is written in; pages not chosen apart follow it too."""
    by_email(session, email).language = checked_language(email, language)
