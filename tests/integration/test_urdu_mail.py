"""Urdu mail holds no English word but names, addresses, keys and other data.

Every reader of the bundled meeting is made a reader of Urdu; the Balochistan
commission then climbs the whole ladder (a reminder, four rungs, an acknowledgement
and a snooze, each with its notices), and the digests go out. Every message's
subject, text and HTML is read for Latin words that are not data.
"""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import OutboxMessage, Person
from notifications.compose import compose
from notifications.digest import compose_digest
from notifications.render import Rendered, Renderer
from states.catalogue import Catalogue
from tests.integration.test_compose import BASE_URL, LONG_AFTER, Sweep, climb_the_ladder
from tests.integration.test_digest import record
from tests.latin_words import english_words, latin_data

TAG = re.compile(r"<(style|head)[^>]*>.*?</\1>|<[^>]+>", re.DOTALL)


def _words_shown(html: str) -> str:
    """What a mail reader shows of an HTML part: its text, without markup or stylesheet."""
    return unescape(TAG.sub(" ", html))


def test_every_urdu_message_is_in_urdu_but_for_its_data(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        session.execute(update(Person).values(language="ur"))
    climb_the_ladder(sessions, loaded, sweep)
    record(sessions, loaded, LONG_AFTER)

    renderer = Renderer()
    english: dict[str, set[str]] = {}
    kinds = set()
    with sessions() as session:
        data = latin_data(session, loaded)
        for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            assert row.language == "ur"
            rendered: Rendered = (
                compose_digest(session, row, renderer, base_url=BASE_URL)
                if row.kind == "digest"
                else compose(session, row, renderer, loaded, base_url=BASE_URL)
            )
            kinds.add(row.kind)
            for part, text in (
                ("subject", rendered.subject),
                ("text", rendered.text),
                ("html", _words_shown(rendered.html)),
            ):
                found = english_words(text, data)
                if found:
                    english.setdefault(
                        f"{row.kind} to {row.recipient_email} ({part})", set()
                    ).update(found)

    assert {"reminder", "escalation", "acknowledged", "snoozed", "digest"} <= kinds
    assert english == {}
