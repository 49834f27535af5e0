"""Web sign-in: password hashes, lock-out after repeated failures, and the session stamp.

Passwords are hashed with argon2 (argon2-cffi's defaults, which follow RFC 9106's
recommendations). A person with no password set cannot sign in at all.

A failed sign-in says nothing about the account: an unknown email, a wrong
password and a locked account get the same answer, and each costs one argon2
verification, so neither the words nor the time tell which accounts exist.

A browser session holds a stamp of the person's session generation (and password
hash): signing out, setting a password and being made inactive move the
generation on, so every cookie issued before stops working at once, copies too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.models import Person
from states.errors import TaskforceError

MIN_PASSWORD_LENGTH = 12
FREE_ATTEMPTS = 5
FIRST_LOCK = timedelta(minutes=15)
LONGEST_LOCK = timedelta(hours=24)

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class PasswordRejectedError(TaskforceError):
    """The new password is not acceptable."""

    exit_code = 2


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in attempt; `person` is set only when it succeeded."""

    person: Person | None
    locked_until: datetime | None = None


def password_problem(password: str, *, email: str) -> str | None:
    """Why `password` may not be used, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if password.strip() != password:
        return "a password may not start or end with spaces"
    if password.lower() == email.lower() or password.lower() in email.lower():
        return "a password may not be the email address"
    return None


def set_password(session: Session, person: Person, password: str, *, now: datetime) -> None:
    """Store a new password; every session signed in with the old one ends."""
    set_passwords(session, [person], password, now=now)


def set_passwords(
    session: Session, persons: Sequence[Person], password: str, *, now: datetime
) -> None:
    """Give several people one password (the sample's), hashed once: argon2 is slow on purpose."""
    for person in persons:
        problem = password_problem(password, email=person.email)
        if problem:
            raise PasswordRejectedError(f"password for {person.email} not set: {problem}")
    hashed = _hasher.hash(password)
    for person in persons:
        person.password_hash = hashed
        person.password_changed_at = now
        person.failed_sign_ins = 0
        person.locked_until = None
        person.session_generation = (person.session_generation or 0) + 1
    session.flush()


def lock_for(failures: int) -> timedelta | None:
    """How long to lock an account after `failures` consecutive failures (doubling, capped)."""
    if failures < FREE_ATTEMPTS:
        return None
    # Capped before multiplying: an account attacked for weeks must not overflow the timedelta.
    doublings = min(failures - FREE_ATTEMPTS, 16)
    lock: timedelta = FIRST_LOCK * 2**doublings
    return min(lock, LONGEST_LOCK)


def sign_in(session: Session, email: str, password: str, *, now: datetime) -> SignIn:
    """Check an email and password; counts failures and locks the account when they pile up.

    The caller commits in every case, so failures are remembered.
    """
    person = session.scalar(
        select(Person).where(func.lower(Person.email) == email.strip().lower()).with_for_update()
    )
    if person is None or not person.active or person.password_hash is None:
        _verify(_DUMMY_HASH, password)
        return SignIn(person=None)
    if person.locked_until is not None and person.locked_until > now:
        # As slow as any other failure, and the outcome is not used: a locked account
        # must look like an unknown one.
        _verify(person.password_hash, password)
        return SignIn(person=None, locked_until=person.locked_until)
    if not _verify(person.password_hash, password):
        person.failed_sign_ins += 1
        lock = lock_for(person.failed_sign_ins)
        person.locked_until = now + lock if lock else None
        session.flush()
        return SignIn(person=None, locked_until=person.locked_until)
    person.failed_sign_ins = 0
    person.locked_until = None
    if _hasher.check_needs_rehash(person.password_hash):
        person.password_hash = _hasher.hash(password)
    session.flush()
    return SignIn(person=person)


def people_with_passwords(session: Session) -> int:
    """How many active people can sign in."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.active.is_(True), Person.password_hash.is_not(None))
        )
        or 0
    )


def session_stamp(person: Person) -> str:
    """A value a browser session carries: it stops matching when the generation moves on.

    The generation moves on at sign-out, a new password and deactivation; the password
    hash and the active flag are in the stamp as well, for changes made outside this module.
    """
    basis = f"{person.id}:{person.session_generation}:{person.password_hash or ''}:{person.active}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def end_sessions(session: Session, person_id: int) -> None:
    """End every browser session of `person_id`: each cookie issued so far stops working."""
    session.execute(
        update(Person)
        .where(Person.id == person_id)
        .values(session_generation=Person.session_generation + 1)
    )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
