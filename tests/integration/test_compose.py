"""Composing mail from the outbox on a real database, and the notices answers queue.

The Provincial Commission on the Status of Women in Balochistan (CSW-BALOCHISTAN)
falls due as 23 June 2026 ends. Its officer is reminded on 16 June, told on 24 June
(level 1); its secretary hears on 29 June (level 2) and acknowledges; the chief
secretary hears on 2 July (level 3) and holds the escalations through 6 July; the
chair hears on 27 July (level 4), 22 working days after it fell due.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import escalations, queries
from db.engine import transaction
from db.models import Escalation, Event, OutboxMessage, Person
from db.sweep import SweepReport
from notifications.compose import UnknownMessageKindError, compose, preview
from notifications.render import Rendered, Renderer
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue

Sweep = Callable[..., SweepReport]

KEY = "CSW-BALOCHISTAN"
BASE_URL = "https://taskforce.example.org/"
LINK = "https://taskforce.example.org/commitments/CSW-BALOCHISTAN"
OFFICER = "women.officer.balochistan@example.org"  # reads Urdu (the bundled meeting says so)
SECRETARY = "women.secretary.balochistan@example.org"
CHIEF_SECRETARY = "cs.balochistan@example.org"
CHAIR = "chair@example.org"

REMINDED = datetime(2026, 6, 16, 5, 0, tzinfo=UTC)
FIRST_OVERDUE_DAY = datetime(2026, 6, 24, 5, 0, tzinfo=UTC)
SECOND_OVERDUE_DAY = datetime(2026, 6, 29, 5, 0, tzinfo=UTC)
ACKNOWLEDGED = datetime(2026, 6, 29, 7, 30, tzinfo=UTC)
FIFTH_OVERDUE_DAY = datetime(2026, 7, 2, 5, 0, tzinfo=UTC)
SNOOZED = datetime(2026, 7, 2, 8, 0, tzinfo=UTC)
LONG_AFTER = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def set_language(sessions: sessionmaker[Session], email: str, language: str) -> None:
    with transaction(sessions) as session:
        person = session.scalar(select(Person).where(Person.email == email))
        assert person is not None
        person.language = language


def acknowledge(sessions: sessionmaker[Session], actor: str, *, now: datetime) -> int:
    with transaction(sessions) as session:
        return escalations.acknowledge(
            session, key=KEY, actor_email=actor, reason="summary sent to the CM", now=now
        )


def snooze(sessions: sessionmaker[Session], catalogue: Catalogue, actor: str) -> None:
    with transaction(sessions) as session:
        escalations.snooze(
            session,
            catalogue,
            key=KEY,
            actor_email=actor,
            until=date(2026, 7, 6),
            reason="the cabinet meets on Friday",
            now=SNOOZED,
            today=date(2026, 7, 2),
        )


def climb_the_ladder(sessions: sessionmaker[Session], catalogue: Catalogue, sweep: Sweep) -> None:
    """Every rung, an acknowledgement and a snooze, ending with the chair's sweep."""
    sweep(REMINDED)
    sweep(FIRST_OVERDUE_DAY)
    sweep(SECOND_OVERDUE_DAY)
    acknowledge(sessions, SECRETARY, now=ACKNOWLEDGED)
    sweep(FIFTH_OVERDUE_DAY)
    snooze(sessions, catalogue, CHIEF_SECRETARY)
    sweep(LONG_AFTER)


def composed(
    sessions: sessionmaker[Session], catalogue: Catalogue, renderer: Renderer
) -> list[tuple[OutboxMessage, Rendered]]:
    """Every outbox row with what it says, in the order the rows were written."""
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [
            (row, compose(session, row, renderer, catalogue, base_url=BASE_URL)) for row in rows
        ]


def only(
    messages: list[tuple[OutboxMessage, Rendered]], kind: str, to: str, **payload: object
) -> Rendered:
    found = [
        rendered
        for row, rendered in messages
        if row.kind == kind
        and row.recipient_email == to
        and row.payload.get("commitment") == KEY
        and all(row.payload.get(k) == v for k, v in payload.items())
    ]
    assert len(found) == 1, f"{len(found)} {kind} messages to {to}"
    return found[0]


def test_every_outbox_row_composes_and_the_chair_hears_the_whole_story(
    loaded: Catalogue,
    sweep: Sweep,
    sessions: sessionmaker[Session],
    renderer: Renderer,
) -> None:
    set_language(sessions, CHIEF_SECRETARY, "ur")
    climb_the_ladder(sessions, loaded, sweep)

    messages = composed(sessions, loaded, renderer)

    assert {row.kind for row, _ in messages} == {
        "reminder",
        "escalation",
        "acknowledged",
        "snoozed",
    }
    for row, rendered in messages:
        key = row.payload["commitment"]
        assert rendered.subject and "\n" not in rendered.subject
        assert f"taskforce.example.org/commitments/{key}" in rendered.text
        assert f'href="https://taskforce.example.org/commitments/{key}"' in rendered.html
        assert f'<html lang="{row.language}"' in rendered.html

    chair = only(messages, "escalation", CHAIR, level=4)
    text = chair.text
    assert chair.subject == (
        "For the chair: CSW-BALOCHISTAN in Balochistan stuck at Nominations invited,"
        " 22 working days overdue"
    )
    assert "Dear Nasreen Akhtar," in text
    assert "For your attention as chair: CSW-BALOCHISTAN" in text
    assert "in Balochistan, has been stuck for 22 working days past its due day" in text
    assert "(the end of 23 June 2026)" in text
    assert "Where:     Balochistan · Women Development department" in text
    assert f"Officer:   Gul Bano Lehri <{OFFICER}> (officer)" in text
    assert f"Must act:  Gul Bano Lehri <{OFFICER}> (officer), Zarina Mengal" in text
    tried = text.split("What has been tried so far:\n")[1].split("\n\n")[0].splitlines()
    assert tried == [
        f"  - 16 June 2026: reminder before the due day sent to Gul Bano Lehri <{OFFICER}>"
        " (officer)",
        f"  - 24 June 2026: level 1 sent to Gul Bano Lehri <{OFFICER}> (officer)",
        f"  - 29 June 2026: level 2 sent to Zarina Mengal <{SECRETARY}> (secretary)",
        f"  - 29 June 2026: acknowledged by Zarina Mengal <{SECRETARY}> (secretary):"
        ' "summary sent to the CM"',
        f"  - 2 July 2026: level 3 sent to Abdul Hameed Rind <{CHIEF_SECRETARY}> (chief secretary)",
        "  - 2 July 2026: escalations held through 6 July 2026 by Abdul Hameed Rind"
        f' <{CHIEF_SECRETARY}> (chief secretary): "the cabinet meets on Friday"',
    ]
    assert "  - Record the shortlist (officer, secretary)" in text
    assert "  - Withdraw the commitment (chair)" in text
    assert f"Open it here: {LINK}" in text
    assert f'<a href="{LINK}"' in chair.html and 'dir="rtl"' not in chair.html

    # Lower rungs were told less: the officer first heard of it in a friendly way.
    officer = only(messages, "escalation", OFFICER, level=1)
    assert "دوستانہ یاد دہانی" in officer.text


def test_an_urdu_reader_gets_right_to_left_urdu(
    loaded: Catalogue,
    sweep: Sweep,
    sessions: sessionmaker[Session],
    renderer: Renderer,
) -> None:
    set_language(sessions, CHIEF_SECRETARY, "ur")
    sweep(FIFTH_OVERDUE_DAY)

    messages = composed(sessions, loaded, renderer)
    rendered = only(messages, "escalation", CHIEF_SECRETARY, level=3)

    assert '<html lang="ur" dir="rtl">' in rendered.html
    assert "Noto Nastaliq Urdu" in rendered.html
    assert rendered.subject.startswith("فوری: بلوچستان میں CSW-BALOCHISTAN")
    assert "السلام علیکم Abdul Hameed Rind" in rendered.text
    assert "2 جولائی، 2026" in rendered.text
    assert LINK in rendered.text
    # The item, its pipeline, stage and actions by their Urdu titles, not the English ones.
    for part in (rendered.subject, rendered.text, rendered.html):
        assert "نامزدگیاں طلب" in part and "Nominations invited" not in part
    for part in (rendered.text, rendered.html):
        assert "بلوچستان کمیشن برائے وقارِ نسواں کے اراکین کی تقرری" in part
        assert "Appoint the members" not in part
        assert "کمیشن کی تشکیل" in part and "Commission appointment" not in part
        assert "شارٹ لسٹ درج کریں" in part and "Record the shortlist" not in part
    assert "untranslated" not in rendered.html
    # The English chair of the same ladder still reads English.
    english = [
        r for row, r in messages if row.recipient_email == "women.secretary.sindh@example.org"
    ]
    assert english and all('<html lang="en" dir="ltr">' in r.html for r in english)


def outbox(sessions: sessionmaker[Session], kind: str) -> list[OutboxMessage]:
    with sessions() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == kind)
                .order_by(OutboxMessage.recipient_email)
            )
        )


def test_acknowledging_tells_the_officer_and_everyone_already_escalated(
    loaded: Catalogue,
    sweep: Sweep,
    sessions: sessionmaker[Session],
    renderer: Renderer,
) -> None:
    sweep(REMINDED)
    sweep(FIRST_OVERDUE_DAY)
    sweep(LONG_AFTER)  # levels 2, 3 and 4 at once

    acknowledge(sessions, CHIEF_SECRETARY, now=datetime(2026, 7, 27, 9, 0, tzinfo=UTC))

    notices = outbox(sessions, "acknowledged")
    # The officer once (reminder, level 1 and the item itself name them), not the one acking.
    assert [(n.recipient_email, n.language) for n in notices] == [
        (CHAIR, "en"),
        (OFFICER, "ur"),
        (SECRETARY, "en"),
    ]
    notice = notices[0]
    assert (notice.status, notice.escalation_id, notice.attempts) == ("pending", None, 0)
    assert notice.next_attempt_at == notice.created_at == datetime(2026, 7, 27, 9, 0, tzinfo=UTC)
    assert notice.subject == "CSW-BALOCHISTAN: the delay was acknowledged by Abdul Hameed Rind"
    with sessions() as session:
        event = queries.history(session, queries.get_commitment(session, KEY))[-1]
        assert event.kind == "acknowledged"
        assert notice.payload == {
            "commitment": KEY,
            "actor_email": CHIEF_SECRETARY,
            "actor_name": "Abdul Hameed Rind",
            "actor_role": "chief_secretary",
            "at": "2026-07-27T09:00:00+00:00",
            "reason": "summary sent to the CM",
            "until": None,
            "seq": event.seq,
            "escalations": 4,
        }
        rendered = compose(session, notice, renderer, loaded, base_url=BASE_URL)
    assert rendered.subject == "CSW-BALOCHISTAN: the delay was acknowledged by Abdul Hameed Rind"
    assert (
        f"Abdul Hameed Rind <{CHIEF_SECRETARY}> (chief secretary) acknowledged the delay of"
        " CSW-BALOCHISTAN" in rendered.text
    )
    assert 'Their reason: "summary sent to the CM"' in rendered.text
    assert "covering 4 escalations so far" in rendered.text
    assert LINK in rendered.text and "Record the shortlist" in rendered.text


def test_an_answer_and_its_notices_commit_or_roll_back_together(
    loaded: Catalogue, sweep: Sweep, sessions: sessionmaker[Session]
) -> None:
    sweep(SECOND_OVERDUE_DAY)

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction(sessions) as session:
        escalations.acknowledge(
            session, key=KEY, actor_email=SECRETARY, reason="summary sent", now=ACKNOWLEDGED
        )
        assert session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "acknowledged")
        ).all()
        raise Abandoned

    assert outbox(sessions, "acknowledged") == []
    with sessions() as session:
        assert session.scalars(select(Event).where(Event.kind == "acknowledged")).all() == []
        assert all(e.acknowledged_at is None for e in session.scalars(select(Escalation)).all())

    acknowledge(sessions, SECRETARY, now=ACKNOWLEDGED)
    assert [n.recipient_email for n in outbox(sessions, "acknowledged")] == [OFFICER]


def test_snoozing_tells_them_until_when(
    loaded: Catalogue,
    sweep: Sweep,
    sessions: sessionmaker[Session],
    renderer: Renderer,
) -> None:
    sweep(FIFTH_OVERDUE_DAY)

    snooze(sessions, loaded, CHIEF_SECRETARY)

    notices = outbox(sessions, "snoozed")
    assert [n.recipient_email for n in notices] == [OFFICER, SECRETARY]
    assert notices[1].subject == (
        "CSW-BALOCHISTAN: escalations held through 6 July 2026 by Abdul Hameed Rind"
    )
    assert notices[1].payload["until"] == "2026-07-06"
    with sessions() as session:
        english = compose(session, notices[1], renderer, loaded, base_url=BASE_URL)
        urdu = compose(session, notices[0], renderer, loaded, base_url=BASE_URL)
    assert "held the escalations of CSW-BALOCHISTAN" in english.text
    assert "through 6 July 2026" in english.text
    assert 'Their reason: "the cabinet meets on Friday"' in english.text
    assert "6 جولائی، 2026 تک" in urdu.text and 'dir="rtl"' in urdu.html


def test_compose_refuses_a_kind_it_does_not_write(
    loaded: Catalogue, sessions: sessionmaker[Session], renderer: Renderer
) -> None:
    message = OutboxMessage(id=99, kind="digest", recipient_email=CHAIR, language="en")

    with sessions() as session, pytest.raises(UnknownMessageKindError, match="'digest'"):
        compose(session, message, renderer, loaded, base_url=BASE_URL)


def test_preview_writes_any_kind_without_an_outbox_row(
    loaded: Catalogue,
    sweep: Sweep,
    sessions: sessionmaker[Session],
    renderer: Renderer,
) -> None:
    sweep(SECOND_OVERDUE_DAY)
    acknowledge(sessions, SECRETARY, now=ACKNOWLEDGED)
    with sessions() as session:
        before = len(session.scalars(select(OutboxMessage)).all())

        def look(kind: str, language: str = "en", level: int | None = None) -> Rendered:
            return preview(
                session,
                kind,
                KEY.lower(),
                language,
                renderer,
                loaded,
                base_url=BASE_URL,
                now=LONG_AFTER,
                calendar=WorkingCalendar(),
                level=level,
            )

        reached = look("escalation")
        secretary = look("escalation", level=2)
        urdu = look("escalation", "ur", level=1)
        acknowledged = look("acknowledged")
        snoozed = look("snoozed")
        reminder = look("reminder")
        after = len(session.scalars(select(OutboxMessage)).all())

    assert reached.subject.startswith("For the chair: CSW-BALOCHISTAN")
    assert "Dear Nasreen Akhtar," in reached.text and "22 working days" in reached.text
    assert "level 2 sent to Zarina Mengal" in reached.text
    assert "acknowledged by Zarina Mengal" in reached.text
    assert "Dear Zarina Mengal," in secretary.text
    assert "level 2 sent to" not in secretary.text  # only the rungs below the one shown
    assert '<html lang="ur" dir="rtl">' in urdu.html
    assert 'Their reason: "summary sent to the CM"' in acknowledged.text
    assert "Dear Gul Bano Lehri," in acknowledged.text
    # Nobody snoozed it yet: a representative snooze, as long as the pipeline allows.
    assert "held the escalations of CSW-BALOCHISTAN" in snoozed.text
    assert snoozed.subject.startswith("CSW-BALOCHISTAN: escalations held through 1 August 2026")
    assert "is due by the end of 23 June 2026" in reminder.text
    assert after == before


def test_preview_says_why_it_cannot(
    loaded: Catalogue, sessions: sessionmaker[Session], renderer: Renderer
) -> None:
    with sessions() as session:

        def look(kind: str, key: str = KEY, level: int | None = None) -> Rendered:
            return preview(
                session,
                kind,
                key,
                "en",
                renderer,
                loaded,
                base_url=BASE_URL,
                now=LONG_AFTER,
                calendar=WorkingCalendar(),
                level=level,
            )

        with pytest.raises(UnknownMessageKindError, match="preview writes reminder, escalation"):
            look("digest")
        with pytest.raises(Exception, match=r"--level 9: commission_appointment's ladder has"):
            look("escalation", level=9)
        with pytest.raises(Exception, match="no commitment 'NOPE-1'"):
            look("escalation", key="NOPE-1")
