"""Notices that carry a count say it in the form the count takes, in English and in Urdu:
"1 open escalation", "2 open escalations", never "escalation(s)"."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from db.sweep import run_sweep
from taskforce.web.i18n import plural_translator
from tests.web.conftest import Site, csrf_of
from tests.web.pages import text_of
from tests.web.test_urdu_messages import choose

CHAIR = "chair@example.org"
ADMIN = "admin@example.org"
HR_PUNJAB = "hr.officer.punjab@example.org"  # holds DHRC-PUNJAB and PTF-PUNJAB
NEW_HOLDER = "hr.secretary.punjab@example.org"
# The bundled meeting's bills and task-force items have reached their first rung by the
# first sweep, and their second by the next.
FIRST_RUNG = datetime(2026, 7, 8, 10, 0, tzinfo=UTC)
SECOND_RUNG = datetime(2026, 7, 10, 10, 0, tzinfo=UTC)
ONE = "Acknowledged: {n} open escalation of {key}."
MANY = "Acknowledged: {n} open escalations of {key}."


def sweep(site: Site, now: datetime) -> None:
    app = site.installation
    run_sweep(app.sessions, app.catalogue, app.calendar, now=now)


def acknowledge(browser: TestClient, key: str) -> str:
    """Acknowledge `key`'s open escalations from its page: the page's text afterwards."""
    page = f"/commitments/{key}"
    answered = browser.post(
        f"{page}/acknowledge",
        data={"reason": "The cabinet meets on Monday.", "csrf_token": csrf_of(browser, page)},
    )
    assert answered.status_code == 303, answered.text[:500]
    return text_of(browser.get(answered.headers["location"]).text)


def test_acknowledging_says_how_many_escalations_in_the_form_of_the_count(site: Site) -> None:
    chair = site.browser(CHAIR)
    in_urdu = plural_translator("ur")

    sweep(site, FIRST_RUNG)
    said = acknowledge(choose(chair, "en"), "CMB-PUNJAB")
    assert "Acknowledged: 1 open escalation of CMB-PUNJAB." in said
    said = acknowledge(choose(chair, "ur"), "TIC-BALOCHISTAN")
    assert in_urdu(ONE, MANY, 1, key="TIC-BALOCHISTAN") in said
    assert "escalation" not in said

    sweep(site, SECOND_RUNG)
    said = acknowledge(choose(chair, "en"), "CMB-KP")
    assert "Acknowledged: 2 open escalations of CMB-KP." in said
    said = acknowledge(choose(chair, "ur"), "TIC-KP")
    assert in_urdu(ONE, MANY, 2, key="TIC-KP") in said
    assert in_urdu(ONE, MANY, 2, key="TIC-KP") != in_urdu(ONE, MANY, 1, key="TIC-KP")
    assert "escalation" not in said


def test_the_people_page_counts_the_items_waiting_for_a_new_holder(site: Site) -> None:
    browser = site.browser(ADMIN)
    csrf = csrf_of(browser, "/admin/people")
    browser.post("/admin/people/deactivate", data={"email": HR_PUNJAB, "csrf_token": csrf})
    listed = text_of(browser.get("/admin/people").text)
    assert "2 open items of inactive people need a new holder." in listed
    assert "(s)" not in listed

    reassigned = browser.post(
        "/admin/people/reassign",
        data={"key": "PTF-PUNJAB", "to_email": NEW_HOLDER, "reason": "Left", "csrf_token": csrf},
    )
    assert reassigned.status_code == 303
    assert "1 open item of inactive people needs a new holder." in text_of(
        browser.get("/admin/people").text
    )
    urdu = text_of(choose(browser, "ur").get("/admin/people").text)
    assert (
        plural_translator("ur")(
            "{n} open item of inactive people needs a new holder.",
            "{n} open items of inactive people need a new holder.",
            1,
        )
        in urdu
    )
    assert "holder" not in urdu
