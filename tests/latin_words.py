"""Latin words in Urdu text that are interface, not data: shared by the page and mail tests.

Names, addresses, keys, references, tags, typed values and reasons, and district names stay in
Latin letters in Urdu text; any other Latin word is English the reader was not
given in Urdu.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import people
from db.models import Commitment, CommitmentRef, CommitmentTag, Event, Meeting
from states.catalogue import Catalogue

LATIN = re.compile(r"[A-Za-z][A-Za-z0-9@._:/+'-]*")
# Keys and codes by their shape: CSW-SINDH, sdg:5.3, CEDAW/C/PAK/CO/5, SOPs, L2.
CODE = re.compile(r"^([A-Z0-9]+(-[A-Z0-9]+)+|[A-Z]{2,}s?|.*[0-9@:/].*)$")
# The product's name, and the language switch that names English in English.
ALLOWED = {"taskforce", "English"}


def latin_data(session: Session, catalogue: Catalogue) -> set[str]:
    """Every Latin word the database holds as data, lower-cased."""
    texts: list[str] = []
    for person in people.all_people(session):
        texts += [person.name, person.email]
    for commitment in session.scalars(select(Commitment)):
        texts += [commitment.key, *re.split(r"[/_]", commitment.jurisdiction)]
        texts += [str(value) for value in commitment.fields.values()]
    texts += list(session.scalars(select(Meeting.title)))
    # What people typed: remarks, reasons for answers and moves.
    texts += [c for c in session.scalars(select(Event.comment)) if c]
    texts += list(session.scalars(select(CommitmentTag.tag)))
    texts += list(session.scalars(select(CommitmentRef.value)))
    for pipeline in catalogue.latest_all():
        texts += [pipeline.key, *pipeline.fields]
    return {word.strip(".,;:()").lower() for text in texts for word in LATIN.findall(text)}


def english_words(text: str, data: set[str]) -> set[str]:
    """The Latin words of `text` that are neither data nor a code."""
    found = set()
    for token in LATIN.findall(text):
        word = token.strip(".,;:()'")
        if not word or CODE.match(word) or word.lower() in data or word in ALLOWED:
            continue
        found.add(word)
    return found
