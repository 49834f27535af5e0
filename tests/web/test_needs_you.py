"""'Needs you': the chair's first page, answers that look answered everywhere, nudges sent
once a day, and a level badge that shows the rung actually escalated."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from db.attention import answers_by_key
from db.engine import transaction
from db.models import Commitment, Event, OutboxMessage, Person
from db.sweep import run_sweep
from notifications.compose import compose
from notifications.render import Renderer
from tests.web.conftest import WEB_NOW, Site, csrf_of
from tests.web.pages import text_of

CHAIR = "chair@example.org"
KEYS = re.compile(r'<p class="item-key"><a href="/commitments/([A-Z0-9-]+)">')


@pytest.fixture
def swept(site: Site) -> Site:
    app = site.installation
    run_sweep(app.sessions, app.catalogue, app.calendar, now=WEB_NOW)
    return site


# Every item on one page: the sample's 166 commitments are more than a page (50) holds, and
# an item answered moves after those still waiting.
EVERY = "/needs-you?size=500"


def card_of(html: str, key: str) -> str:
    """The text of the card (Needs you, My items) or board cell entry for `key`."""
    start = html.index(f'href="/commitments/{key}"')
    end = html.find("</li>", start)
    return text_of(html[start:end])


def test_the_chair_lands_on_needs_you_with_the_commissions_first(swept: Site) -> None:
    browser = swept.browser(CHAIR)
    start = browser.get("/")
    assert start.status_code == 303
    assert start.headers["location"] == "/needs-you"
    page = browser.get("/needs-you")
    assert page.status_code == 200
    keys = KEYS.findall(page.text)
    commissions = [key for key in keys if key.startswith("CSW-")]
    assert len(commissions) == 4
    assert keys[: len(commissions)] == commissions
    assert "Escalated to you" in card_of(page.text, commissions[0])
    # Officers keep My items; the administrator keeps the board.
    assert swept.browser("law.officer.punjab@example.org").get("/").headers["location"] == "/items"


def test_an_acknowledged_item_shows_as_handled_on_needs_you_and_the_board(swept: Site) -> None:
    browser = swept.browser(CHAIR)
    page = browser.get("/needs-you")
    key = KEYS.findall(page.text)[0]
    assert "Acknowledged by" not in card_of(page.text, key)
    answered = browser.post(
        f"/commitments/{key}/acknowledge",
        data={
            "reason": "The chief secretary is following it up.",
            "back": "/needs-you",
            "csrf_token": csrf_of(browser, "/needs-you"),
        },
    )
    assert answered.status_code == 303
    assert answered.headers["location"] == "/needs-you"
    again = browser.get(EVERY)
    assert "Acknowledged by" in card_of(again.text, key)
    # Handled items come after those still waiting for an answer.
    assert KEYS.findall(again.text)[-1] == key
    assert key not in KEYS.findall(browser.get("/needs-you").text)
    assert "Acknowledged by" in card_of(browser.get("/board?size=500").text, key)
    assert "Acknowledged by" in text_of(browser.get(f"/commitments/{key}").text)


def test_an_overdue_item_never_escalated_shows_no_level_badge(site: Site) -> None:
    # No sweep has run: items are overdue, yet nobody has been told at any level.
    browser = site.browser(CHAIR)
    board = browser.get("/board")
    assert "is-stalled" in board.text
    # Neither on a card nor in the counts by province.
    assert 'class="rung' not in board.text
    items = site.browser("hr.officer.sindh@example.org").get("/items")
    assert "Overdue by" in items.text or "تاخیر" in items.text
    assert 'class="rung' not in items.text
    assert "Escalation level" not in items.text


def outbox_and_events(site: Site, key: str) -> tuple[int, int]:
    with transaction(site.installation.sessions) as session:
        item = session.scalars(select(Commitment).where(Commitment.key == key)).one()
        mails = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "nudged")
        )
        events = session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.commitment_id == item.id, Event.kind == "nudged")
        )
    return mails or 0, events or 0


def test_a_double_nudge_queues_one_reminder_and_records_one_event(swept: Site) -> None:
    browser = swept.browser(CHAIR)
    page = browser.get("/needs-you")
    key = KEYS.findall(page.text)[0]
    with transaction(swept.installation.sessions) as session:
        version = session.scalar(select(Commitment.version).where(Commitment.key == key))
    sent = {"expected_version": str(version), "back": "/needs-you"}
    token = csrf_of(browser, "/needs-you")
    first = browser.post(f"/commitments/{key}/nudge", data={**sent, "csrf_token": token})
    second = browser.post(f"/commitments/{key}/nudge", data={**sent, "csrf_token": token})
    assert first.status_code == second.status_code == 303
    assert outbox_and_events(swept, key) == (1, 1)
    shown = text_of(browser.get("/needs-you").text)
    assert "already reminded" in shown
    history = text_of(browser.get(f"/commitments/{key}").text)
    assert "Reminder sent to" in history


def test_a_nudge_from_an_older_page_sends_nothing(swept: Site) -> None:
    browser = swept.browser(CHAIR)
    key = KEYS.findall(browser.get("/needs-you").text)[0]
    stale = browser.post(
        f"/commitments/{key}/nudge",
        data={"expected_version": "0", "csrf_token": csrf_of(browser, "/needs-you")},
    )
    assert stale.status_code == 303
    assert outbox_and_events(swept, key) == (0, 0)


def test_the_chair_exempts_from_needs_you_and_it_shows_exempt(swept: Site) -> None:
    browser = swept.browser(CHAIR)
    key = KEYS.findall(browser.get("/needs-you").text)[0]
    token = csrf_of(browser, "/needs-you")
    refused = browser.post(
        f"/commitments/{key}/exempt",
        data={"reason": " ", "back": "/needs-you", "csrf_token": token},
    )
    assert refused.status_code == 303
    assert "Nothing was changed" in text_of(browser.get("/needs-you").text)
    done = browser.post(
        f"/commitments/{key}/exempt",
        data={
            "reason": "Handled by the cabinet directly.",
            "back": "/needs-you",
            "csrf_token": token,
        },
    )
    assert done.status_code == 303
    with transaction(swept.installation.sessions) as session:
        assert session.scalar(select(Commitment.exempt).where(Commitment.key == key))
    assert "Exempt" in card_of(browser.get(EVERY).text, key)


def test_a_secretary_may_not_exempt(swept: Site) -> None:
    browser = swept.browser("law.secretary.punjab@example.org")
    refused = browser.post(
        "/commitments/CMB-PUNJAB/exempt",
        data={"reason": "not theirs to give", "csrf_token": csrf_of(browser, "/needs-you")},
    )
    assert refused.status_code == 403


def test_snoozing_for_days_from_needs_you_holds_the_item(swept: Site) -> None:
    browser = swept.browser(CHAIR)
    key = KEYS.findall(browser.get("/needs-you").text)[0]
    token = csrf_of(browser, "/needs-you")
    too_long = browser.post(
        f"/commitments/{key}/snooze",
        data={"days": "400", "reason": "later", "back": "/needs-you", "csrf_token": token},
    )
    assert too_long.status_code == 422
    held = browser.post(
        f"/commitments/{key}/snooze",
        data={"days": "3", "reason": "After the cabinet meets.", "back": "/needs-you",
              "csrf_token": token},
    )  # fmt: skip
    assert held.status_code == 303
    assert held.headers["location"] == "/needs-you"
    assert "Snoozed until" in card_of(browser.get(EVERY).text, key)


def test_the_nudge_is_written_to_whoever_must_act_in_their_language(swept: Site) -> None:
    browser = swept.browser(CHAIR)
    key = KEYS.findall(browser.get("/needs-you").text)[0]
    with transaction(swept.installation.sessions) as session:
        version = session.scalar(select(Commitment.version).where(Commitment.key == key))
    browser.post(
        f"/commitments/{key}/nudge",
        data={"expected_version": str(version), "csrf_token": csrf_of(browser, "/needs-you")},
    )
    with transaction(swept.installation.sessions) as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudged")).one()
        rendered = compose(
            session, message, Renderer(), swept.installation.catalogue, base_url="http://tf"
        )
        language = message.language
    assert key in rendered.subject
    assert f"http://tf/commitments/{key}" in rendered.text
    assert ("reminds you" in rendered.text) if language == "en" else ("یاد" in rendered.text)


def test_needs_you_and_the_check_page_read_in_urdu(swept: Site) -> None:
    with transaction(swept.installation.sessions) as session:
        chair = session.scalars(select(Person).where(Person.email == CHAIR)).one()
        chair.language = "ur"
    browser = swept.browser(CHAIR)
    page = browser.get("/needs-you")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text
    assert "آپ کی توجہ درکار" in page.text
    assert "اطلاع آپ تک پہنچی" in page.text
    sent = {
        "action": "withdraw",
        "comment": "واپس",
        "expected_version": "1",
        "csrf_token": csrf_of(browser, "/commitments/CMB-PUNJAB"),
    }
    check = browser.post("/commitments/CMB-PUNJAB/advance", data=sent)
    assert check.status_code == 200
    assert "اپنے جوابات جانچ لیں" in check.text


NEXT = re.compile(r'<a href="(/needs-you\?[^"]+)" rel="next">')


def _walk(browser: TestClient, size: int) -> list[list[str]]:
    """Every page of Needs you, following the "Next page" links from the first."""
    pages: list[list[str]] = []
    address: str | None = f"/needs-you?size={size}"
    while address is not None:
        page = browser.get(address.replace("&amp;", "&"))
        assert page.status_code == 200
        pages.append(KEYS.findall(page.text))
        found = NEXT.search(page.text)
        address = found.group(1) if found else None
        assert len(pages) < 100, "the pages never end"
    return pages


def test_needs_you_pages_hold_every_item_once_in_order(swept: Site) -> None:
    browser = swept.browser(CHAIR)
    key = KEYS.findall(browser.get("/needs-you").text)[0]
    acknowledged = browser.post(
        f"/commitments/{key}/acknowledge",
        data={
            "reason": "Followed up.",
            "back": "/needs-you",
            "csrf_token": csrf_of(browser, "/needs-you"),
        },
    )
    assert acknowledged.status_code == 303
    whole = KEYS.findall(browser.get("/needs-you?size=500").text)
    assert len(whole) > 6

    pages = _walk(browser, 3)
    walked = [key for page in pages for key in page]
    assert all(len(page) == 3 for page in pages[:-1])
    assert walked == whole and len(set(walked)) == len(walked)
    assert "First page" in browser.get("/needs-you?size=3&after=" + _cursor(browser)).text

    # The order: unanswered first, then the rung escalated (highest first), then the
    # earliest due, then the key.
    with transaction(swept.installation.sessions) as session:
        answers = answers_by_key(session, walked, today=WEB_NOW.date())
        due = dict(
            session.execute(
                select(Commitment.key, Commitment.due_at).where(Commitment.key.in_(walked))
            ).all()
        )
    ranked = [
        (
            answers[key].handled is not None,
            -(answers[key].level or 0),
            due[key] is None,
            due[key].replace(tzinfo=None) if due[key] is not None else None,
            key,
        )
        for key in walked
    ]
    assert ranked[-1][0] and ranked[-1][-1] == key
    assert [r[:3] for r in ranked] == sorted(r[:3] for r in ranked)
    assert ranked == sorted(
        ranked, key=lambda r: (r[:3], r[3] or WEB_NOW.replace(tzinfo=None), r[4])
    )

    counts = text_of(browser.get("/needs-you?size=3").text)
    assert f"Waiting for an answer: {len(walked) - 1}. Already handled: 1." in counts


def _cursor(browser: TestClient) -> str:
    found = NEXT.search(browser.get("/needs-you?size=3").text)
    assert found is not None
    return found.group(1).replace("&amp;", "&").partition("after=")[2]


def test_a_damaged_needs_you_cursor_is_refused_naming_it(swept: Site) -> None:
    page = swept.browser(CHAIR).get("/needs-you?after=d.12.CMB-PUNJAB")
    assert page.status_code == 400
    assert "after" in text_of(page.text)


def test_every_page_marks_what_changed_since_the_last_visit(site: Site) -> None:
    app = site.installation
    with transaction(app.sessions) as session:
        chair = session.scalars(select(Person).where(Person.email == CHAIR)).one()
        chair.attention_seen_at = WEB_NOW - timedelta(hours=1)
    run_sweep(app.sessions, app.catalogue, app.calendar, now=WEB_NOW)
    browser = site.browser(CHAIR)

    marked: set[str] = set()
    address: str | None = "/needs-you?size=3"
    walked: list[str] = []
    while address is not None:
        page = browser.get(address.replace("&amp;", "&"))
        keys = KEYS.findall(page.text)
        walked += keys
        marked |= {key for key in keys if "Since your last visit:" in card_of(page.text, key)}
        found = NEXT.search(page.text)
        address = found.group(1) if found else None
    with transaction(app.sessions) as session:
        answers = answers_by_key(session, walked, today=WEB_NOW.date())
    escalated = {key for key in walked if answers[key].level is not None}
    assert len(walked) > 3 and escalated
    # The first page records the visit; the later pages still compare with the one before.
    assert marked == escalated


def test_opening_needs_you_again_at_once_keeps_what_changed_marked(site: Site) -> None:
    app = site.installation
    with transaction(app.sessions) as session:
        chair = session.scalars(select(Person).where(Person.email == CHAIR)).one()
        chair.attention_seen_at = WEB_NOW - timedelta(hours=1)
    run_sweep(app.sessions, app.catalogue, app.calendar, now=WEB_NOW)
    browser = site.browser(CHAIR)

    first = browser.get("/needs-you?size=3").text
    key = KEYS.findall(first)[0]
    assert "Since your last visit:" in card_of(first, key)
    # A reload (or a return from an answer) is the same visit: the marks stay.
    again = browser.get("/needs-you?size=3").text
    assert "Since your last visit:" in card_of(again, key)


def test_counts_past_their_limit_read_more_than(
    swept: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counting stops one past the limit (1,000 in use): a national list is not counted whole.
    monkeypatch.setattr("db.attention.COUNT_LIMIT", 2)
    browser = swept.browser(CHAIR)
    english = text_of(browser.get("/needs-you?size=3").text)
    assert "Waiting for an answer: more than 2. Already handled: 0." in english
    browser.post(
        "/preferences/language",
        data={"language": "ur", "csrf_token": csrf_of(browser, "/needs-you")},
    )
    assert "2 سے زیادہ" in text_of(browser.get("/needs-you?size=3").text)
