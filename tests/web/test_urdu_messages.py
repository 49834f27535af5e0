"""The engine's refusals said in the page's language: Urdu on an Urdu page, English on an
English one, and always English from the API."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from db import workflow
from db.engine import transaction
from tests.web.conftest import WEB_NOW, Site, csrf_of
from tests.web.pages import form_for, post_form, stage_of, text_of

ITEM = "CMB-PUNJAB"
PAGE = f"/commitments/{ITEM}"
ADVANCE = f"{PAGE}/advance"
OFFICER = "law.officer.punjab@example.org"
SECRETARY = "law.secretary.punjab@example.org"


def move(site: Site, *actions: str) -> None:
    with transaction(site.installation.sessions) as session:
        for action in actions:
            workflow.advance(
                session,
                site.installation.catalogue,
                key=ITEM,
                action=action,
                actor_email=OFFICER,
                now=WEB_NOW - timedelta(hours=1),
            )


def choose(browser: TestClient, language: str) -> TestClient:
    """`browser`, its person having chosen pages in `language`."""
    response = browser.post(
        "/preferences/language",
        data={"language": language, "next": "/items", "csrf_token": csrf_of(browser, "/items")},
    )
    assert response.status_code == 303
    return browser


def in_urdu(site: Site, email: str) -> TestClient:
    return choose(site.browser(email), "ur")


def test_a_refused_advance_is_said_in_urdu_on_an_urdu_page_and_in_english_otherwise(
    site: Site,
) -> None:
    move(site, "send_for_vetting", "vet")
    browser = site.browser(OFFICER)
    sent = {"action": "approve_in_cabinet"}
    english = browser.post(ADVANCE, data={**sent, "csrf_token": csrf_of(browser, PAGE)})
    assert english.status_code == 403
    said = text_of(english.text)
    assert f"approve_in_cabinet {ITEM}: {OFFICER} is officer; this action is for" in said

    choose(browser, "ur")
    refused = browser.post(ADVANCE, data={**sent, "csrf_token": csrf_of(browser, PAGE)})
    assert refused.status_code == 403
    text = text_of(refused.text)
    # The sentence, the action's title and the roles in Urdu; the key and the address as they are.
    assert "ممکن نہیں" in text
    assert "افسر" in text  # officer
    assert "Can't" not in text and "this action is for" not in text
    assert ITEM in text and OFFICER in text
    assert stage_of(site, ITEM)[0] == "cabinet_approval"


def test_a_missing_field_is_said_in_urdu_beside_the_field(site: Site) -> None:
    move(site, "send_for_vetting", "vet")
    urdu = in_urdu(site, SECRETARY)
    _, response = post_form(
        urdu,
        PAGE,
        ADVANCE,
        {"field.cabinet_decision": "", "field.introduced_on": "next Tuesday"},
        "approve_in_cabinet",
    )
    assert response.status_code == 422
    html = response.text
    assert '<p class="field-error" id="approve_in_cabinet-cabinet_decision-error">' in html
    assert "اس اقدام کے لیے درکار ہے" in html  # "... is needed for this action"
    assert "is needed for this action" not in html
    assert stage_of(site, ITEM)[0] == "cabinet_approval"

    english = choose(site.browser(SECRETARY), "en")
    _, response = post_form(
        english, PAGE, ADVANCE, {"field.cabinet_decision": ""}, "approve_in_cabinet"
    )
    assert "Cabinet decision number is needed for this action" in response.text


def test_a_malformed_date_is_said_in_urdu(site: Site) -> None:
    move(site, "send_for_vetting", "vet")
    urdu = in_urdu(site, SECRETARY)
    _, response = post_form(
        urdu,
        PAGE,
        ADVANCE,
        {
            "field.cabinet_decision": "CD-44/2026",
            "field.bill_number": "Bill No. 12 of 2026",
            "field.introduced_on": "next Tuesday",
        },
        "approve_in_cabinet",
    )
    assert response.status_code == 422
    assert "کی شکل میں لکھی جائے" in response.text  # "must be a date written YYYY-MM-DD"
    assert "must be a date written" not in response.text
    assert "next Tuesday" in response.text  # what was typed, quoted as it was


def test_a_stale_form_on_an_urdu_page_says_so_in_urdu(site: Site) -> None:
    mine = in_urdu(site, OFFICER)
    stale = form_for(mine.get(PAGE).text, ADVANCE, "send_for_vetting")
    other = site.browser(SECRETARY)
    post_form(other, PAGE, ADVANCE, {"comment": "sent by the secretary"}, "send_for_vetting")
    response = mine.post(ADVANCE, data={**stale.inputs, "comment": "mine"})
    assert response.status_code == 409
    text = text_of(response.text)
    assert "کسی اور نے اس معاملے کو تبدیل کر دیا" in text  # someone else changed this item
    assert "Someone else changed this item" not in text
    assert "review it and try again" not in text


def test_the_api_answers_in_english_whatever_the_page_language(site: Site) -> None:
    move(site, "send_for_vetting", "vet")
    in_urdu(site, OFFICER)
    answer = site.api(OFFICER).post(
        f"/api/v1/commitments/{ITEM}/advance", json={"action": "approve_in_cabinet"}
    )
    assert answer.status_code == 403
    message = answer.json()["error"]["message"]
    assert message.startswith("Can't approve_in_cabinet CMB-PUNJAB: ")
    assert "this action is for" in message


def test_a_page_refused_to_a_reader_of_urdu_says_why_in_urdu(site: Site) -> None:
    refused = in_urdu(site, OFFICER).get("/board")
    assert refused.status_code == 403
    text = text_of(refused.text)
    assert "یہ صفحہ سیکرٹریوں" in text and "افسر" in text  # "... for secretaries ...; officer"
    assert "this page is for" not in text
