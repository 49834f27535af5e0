"""My items, and where the start page sends each person."""

from __future__ import annotations

import re

from db import workflow
from db.engine import transaction
from states.districts import bundled_districts
from states.meeting import district_child_key
from tests.web.conftest import WEB_NOW, Site
from tests.web.pages import text_of

ITEM_KEYS = re.compile(r'<p class="item-key"><a href="/commitments/([A-Z0-9-]+)">')


def listed(html: str) -> list[str]:
    return ITEM_KEYS.findall(html)


def test_the_start_page_sends_officers_to_their_items_and_those_above_to_needs_you(
    site: Site,
) -> None:
    assert site.browser("law.officer.punjab@example.org").get("/").headers["location"] == "/items"
    assert site.browser("chair@example.org").get("/").headers["location"] == "/needs-you"
    assert site.browser("cs.punjab@example.org").get("/").headers["location"] == "/needs-you"
    assert site.browser("admin@example.org").get("/").headers["location"] == "/board"
    assert site.anonymous().get("/").headers["location"].startswith("/sign-in")


def test_my_items_lists_what_the_officer_holds_overdue_first(site: Site) -> None:
    # DHRC-SINDH moves today, so its stage clock starts again: no longer overdue.
    with transaction(site.installation.sessions) as session:
        workflow.advance(
            session,
            site.installation.catalogue,
            key="DHRC-SINDH",
            action="nominate_members",
            actor_email="hr.officer.sindh@example.org",
            fields={"members": "9"},
            now=WEB_NOW,
        )
    page = site.browser("hr.officer.sindh@example.org").get("/items")
    assert page.status_code == 200
    assert listed(page.text) == ["NAP-HR-15", "DHRC-SINDH", "PTF-SINDH"]
    text = text_of(page.text)
    # This officer reads Urdu: "19 working days overdue", "10 working days left".
    assert 'dir="rtl"' in page.text
    assert "19 کاری دن کی تاخیر" in text
    # Stages and actions by their Urdu titles, not the English ones.
    assert "اراکین نامزد" in text and "Members nominated" not in text
    assert "10 کاری دن باقی" in text
    # The next actions, each a link to its form on the commitment page.
    assert 'href="/commitments/DHRC-SINDH#action-hold_first_meeting"' in page.text
    assert "پہلا اجلاس درج کریں" in text and "Record the first meeting" not in text


def test_my_items_shows_only_the_officers_own_items(site: Site) -> None:
    page = site.browser("law.officer.punjab@example.org").get("/items")
    assert listed(page.text) == ["CMB-PUNJAB"]
    assert "Send to the Law Department for vetting" in page.text


def test_an_overseer_holding_nothing_sees_the_open_items_of_their_jurisdiction(
    site: Site,
) -> None:
    page = site.browser("cs.punjab@example.org").get("/items")
    keys = listed(page.text)
    # Punjab's own items and the committees of its 41 districts (Lahore's among them).
    districts = {
        district_child_key("DHRC-PUNJAB", district.key)
        for district in bundled_districts().in_province("punjab")
    }
    assert len(districts) == 41 and "DHRC-PUNJAB-LAHORE" in districts
    assert {"CMB-PUNJAB", "CSW-PUNJAB", "DHRC-PUNJAB", "PTF-PUNJAB", *districts} == set(keys)
    assert "in your jurisdiction" in page.text


def test_my_items_needs_a_sign_in(site: Site) -> None:
    response = site.anonymous().get("/items")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fitems"
