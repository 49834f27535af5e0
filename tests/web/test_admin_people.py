"""The administrator's page of people: the list with open items, deactivate, hand-over, reassign."""

from __future__ import annotations

from sqlalchemy import select

from db.engine import transaction
from db.models import Commitment, Person
from tests.web.conftest import Site, csrf_of

ADMIN = "admin@example.org"
HR_PUNJAB = "hr.officer.punjab@example.org"  # holds DHRC-PUNJAB and PTF-PUNJAB
NEW_HOLDER = "hr.secretary.punjab@example.org"


def holders(site: Site) -> dict[str, str]:
    with transaction(site.installation.sessions) as session:
        rows = session.execute(
            select(Commitment.key, Person.email).join(Person, Person.id == Commitment.officer_id)
        )
        return {key: email for key, email in rows}


def test_the_administrator_deactivates_a_person_and_hands_their_items_over(site: Site) -> None:
    browser = site.browser(ADMIN)
    listed = browser.get("/admin/people")
    assert listed.status_code == 200
    assert 'href="/commitments/DHRC-PUNJAB"' in listed.text
    csrf = csrf_of(browser, "/admin/people")

    gone = browser.post("/admin/people/deactivate", data={"email": HR_PUNJAB, "csrf_token": csrf})
    assert (gone.status_code, gone.headers["location"]) == (
        303,
        "/admin/people?done=deactivated&count=1",
    )
    after = browser.get("/admin/people").text
    assert "2 open items of inactive people need a new holder." in after

    # All or nothing: a Sindh officer cannot take Punjab items, so neither moves.
    refused = browser.post(
        "/admin/people/handover",
        data={
            "from_email": HR_PUNJAB,
            "to_email": "hr.officer.sindh@example.org",
            "csrf_token": csrf,
        },
    )
    assert refused.status_code == 403
    assert "it belongs to punjab" in refused.text
    assert holders(site)["PTF-PUNJAB"] == HR_PUNJAB

    moved = browser.post(
        "/admin/people/handover",
        data={
            "from_email": HR_PUNJAB,
            "to_email": NEW_HOLDER,
            "reason": "Left",
            "csrf_token": csrf,
        },
    )
    assert moved.headers["location"] == "/admin/people?done=handed_over&count=2"
    assert {holders(site)[key] for key in ("DHRC-PUNJAB", "PTF-PUNJAB")} == {NEW_HOLDER}

    back = browser.post(
        "/admin/people/reassign",
        data={"key": "PTF-PUNJAB", "to_email": "hr.officer.lahore@example.org", "csrf_token": csrf},
    )
    assert back.status_code == 403  # Lahore does not cover a Punjab item
    browser.post(
        "/admin/people/reassign",
        data={
            "key": "PTF-PUNJAB",
            "to_email": "law.officer.punjab@example.org",
            "csrf_token": csrf,
        },
    )
    assert holders(site)["PTF-PUNJAB"] == "law.officer.punjab@example.org"
    history = browser.get("/commitments/PTF-PUNJAB").text
    assert history.count('<li class="event event-reassigned">') == 2
    assert f'{NEW_HOLDER}</span> → <span dir="ltr">law.officer.punjab@example.org' in history


def test_the_page_is_for_the_administrator_and_the_chair_only(site: Site) -> None:
    assert site.browser("chair@example.org").get("/admin/people").status_code == 200
    assert site.browser("cs.punjab@example.org").get("/admin/people").status_code == 403
