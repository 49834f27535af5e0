"""Paused clocks where people work: the API, the commitment page's forms, the badges, the digest."""

from __future__ import annotations

from datetime import date, timedelta

from db.digest import build_digest, record_digests
from db.engine import transaction
from db.sweep import run_sweep
from notifications.digest import digest_context
from notifications.render import Renderer
from tests.web.conftest import WEB_NOW, Site
from tests.web.pages import post_form, text_of
from tests.web.test_urdu_messages import in_urdu

ITEM = "CMB-PUNJAB"
PAGE = f"/commitments/{ITEM}"
OFFICER = "law.officer.punjab@example.org"
CS_PUNJAB = "cs.punjab@example.org"
STAY = "The High Court stayed the bill"
LAST_DAY = date(2026, 8, 10)


def test_the_api_pauses_and_resumes_an_item(site: Site) -> None:
    officer = site.api(OFFICER).post(f"/api/v1/commitments/{ITEM}/pause", json={"reason": STAY})
    assert officer.status_code == 403

    client = site.api(CS_PUNJAB)
    paused = client.post(
        f"/api/v1/commitments/{ITEM}/pause", json={"reason": STAY, "until": LAST_DAY.isoformat()}
    )
    assert paused.status_code == 200, paused.text
    body = paused.json()
    assert body["paused_until"] == LAST_DAY.isoformat() and body["paused_at"] is not None
    assert body["timing"]["due_at"] is None and not body["timing"]["stalled"]
    assert (body["history"][-1]["kind"], body["history"][-1]["comment"]) == ("paused", STAY)
    again = client.post(f"/api/v1/commitments/{ITEM}/pause", json={"reason": STAY})
    assert again.status_code == 400
    assert "paused already" in again.json()["error"]["message"]

    resumed = client.post(f"/api/v1/commitments/{ITEM}/resume", json={})
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert body["paused_at"] is None and body["timing"]["due_at"] is not None
    assert body["history"][-1]["kind"] == "resumed"
    assert client.post(f"/api/v1/commitments/{ITEM}/resume", json={}).status_code == 400


def test_the_page_pauses_shows_it_everywhere_and_resumes(site: Site) -> None:
    app = site.installation
    run_sweep(app.sessions, app.catalogue, app.calendar, now=WEB_NOW - timedelta(hours=1))
    browser = site.browser(CS_PUNJAB)
    assert ITEM in browser.get("/needs-you?size=500").text  # escalated to the chief secretary
    sent = {"reason": STAY, "until": LAST_DAY.isoformat()}
    _, done = post_form(browser, PAGE, f"{PAGE}/pause", sent)
    assert done.status_code == 303, done.text[:500]
    page = text_of(browser.get(PAGE).text)
    assert "The clocks of CMB-PUNJAB are paused until 2026-08-10." in page
    assert f"Paused since 27 July 2026 until 10 August 2026: {STAY}" in page
    assert "Clocks paused until 2026-08-10" in page  # the history, in words
    assert "Pause its clocks" not in page  # paused already: only Resume is offered

    board = browser.get("/board?pipeline=provincial_bill&jurisdiction=punjab")
    assert 'class="badge paused">Paused until 10 August 2026' in board.text
    for listing in ("/items", "/needs-you?size=500"):
        assert "Paused until 10 August 2026" in text_of(browser.get(listing).text), listing

    _, resumed = post_form(browser, PAGE, f"{PAGE}/resume", {})
    assert resumed.status_code == 303
    page = text_of(browser.get(PAGE).text)
    assert "run again" in page
    assert "Clocks resumed after 0 days" in page
    assert "Paused since" not in page


def test_a_pause_without_a_reason_is_refused_beside_the_form_in_urdu(site: Site) -> None:
    browser = in_urdu(site, CS_PUNJAB)
    _, refused = post_form(browser, PAGE, f"{PAGE}/pause", {"reason": " ", "until": "2026-08-10"})
    assert refused.status_code == 422
    assert 'id="pause-reason-error"' in refused.text
    text = text_of(refused.text)
    assert "کو روکا نہیں جا سکتا: وجہ خالی ہے" in text
    assert "Can't pause" not in text
    assert 'value="2026-08-10"' in refused.text  # the typed day is kept


def test_the_digest_lists_a_paused_item_apart_from_the_overdue(site: Site) -> None:
    app = site.installation
    earlier = WEB_NOW - timedelta(hours=1)
    with transaction(app.sessions) as session:
        record_digests(session, app.catalogue, app.calendar, now=earlier, scopes=["punjab"])
        before = build_digest(session, app.catalogue, app.calendar, scope="punjab", now=earlier)
    assert ITEM in {item.key for item in before.overdue()}  # stalled before its pause
    paused = site.api(CS_PUNJAB).post(f"/api/v1/commitments/{ITEM}/pause", json={"reason": STAY})
    assert paused.status_code == 200
    with transaction(app.sessions) as session:
        content = build_digest(
            session,
            app.catalogue,
            app.calendar,
            scope="punjab",
            now=WEB_NOW + timedelta(hours=1),
            recipient_email=CS_PUNJAB,
        )
    assert ITEM not in {item.key for item in content.overdue()}
    # Not resolved either: it still waits, with its clocks stopped.
    assert content.changes is not None
    assert ITEM not in {item.key for item in content.changes.resolved}
    assert [(item.key, item.reason, item.paused_until) for item in content.paused] == [
        (ITEM, STAY, None)
    ]
    for language, heading, until in (
        ("en", "PAUSED: CLOCKS STOPPED", "until resumed"),
        ("ur", "موقوف: گھڑیاں رکی ہوئی ہیں", "دوبارہ شروع کیے جانے تک موقوف"),
    ):
        context = digest_context(
            content, base_url="https://t/", recipient_name="CS", language=language
        )
        rendered = Renderer().render("digest", language, context)
        section = rendered.text.split(heading, 1)
        assert len(section) == 2, rendered.text
        assert ITEM in section[1] and STAY in section[1] and until in section[1]
        assert STAY in rendered.html
