"""Department access and who must act now, as the page and the API show them."""

from __future__ import annotations

from datetime import timedelta

from db import workflow
from db.engine import transaction
from tests.web.conftest import WEB_NOW, Site, csrf_of
from tests.web.pages import stage_of, text_of

ITEM = "CMB-PUNJAB"
PAGE = f"/commitments/{ITEM}"
LAW_OFFICER = "law.officer.punjab@example.org"
LAW_SECRETARY = "law.secretary.punjab@example.org"
WOMEN_OFFICER = "women.officer.punjab@example.org"
REFUSAL = "it belongs to the Law Department"


def to_cabinet(site: Site) -> None:
    with transaction(site.installation.sessions) as session:
        for action in ("send_for_vetting", "vet"):
            workflow.advance(
                session,
                site.installation.catalogue,
                key=ITEM,
                action=action,
                actor_email=LAW_OFFICER,
                now=WEB_NOW - timedelta(hours=1),
            )


def test_another_department_reads_the_bill_but_cannot_move_it(site: Site) -> None:
    before = stage_of(site, ITEM)
    browser = site.browser(WOMEN_OFFICER)
    page = browser.get(PAGE)
    assert page.status_code == 200
    assert 'name="action"' not in page.text  # no form offers an action

    refused = browser.post(
        f"{PAGE}/advance",
        data={"action": "send_for_vetting", "csrf_token": csrf_of(browser, PAGE)},
    )
    assert refused.status_code == 403
    # She reads Urdu: the page says the refusal in Urdu ("it belongs to Law, and ... is in
    # Women Development"); the API keeps the English.
    said = text_of(refused.text)
    assert "یہ قانون کا ہے" in said and "ترقی نسواں میں ہیں" in said

    api = site.api(WOMEN_OFFICER).post(
        f"/api/v1{PAGE}/advance", json={"action": "send_for_vetting", "fields": {}}
    )
    assert api.status_code == 403
    assert REFUSAL in api.text
    assert stage_of(site, ITEM) == before


def test_the_page_and_the_api_name_who_must_act_first(site: Site) -> None:
    to_cabinet(site)
    text = text_of(site.browser(LAW_OFFICER).get(PAGE).text)
    assert "Waiting on: Shazia Nawaz (secretary)" in text
    assert text.index("Waiting on:") < text.index("Cabinet approval")

    record = site.api(LAW_OFFICER).get(f"/api/v1{PAGE}").json()
    assert record["waiting_on"][0] == {
        "name": "Shazia Nawaz",
        "email": LAW_SECRETARY,
        "role": "secretary",
    }
    assert LAW_OFFICER not in [p["email"] for p in record["waiting_on"]]
    listed = site.api(LAW_OFFICER).get(
        "/api/v1/commitments", params={"pipeline": "provincial_bill"}
    )
    bill = next(item for item in listed.json()["items"] if item["key"] == ITEM)
    assert bill["waiting_on"] == record["waiting_on"]


def test_my_items_names_who_must_act(site: Site) -> None:
    to_cabinet(site)
    text = text_of(site.browser(LAW_OFFICER).get("/items").text)
    assert "Waiting on Shazia Nawaz (secretary)" in text


def test_a_parent_with_an_open_child_offers_no_completion_and_says_why(site: Site) -> None:
    officer = "hr.officer.punjab@example.org"
    with transaction(site.installation.sessions) as session:
        for action, fields in (
            ("nominate_members", {"members": "9"}),
            (
                "hold_first_meeting",
                {"first_meeting_on": "2026-06-01", "minutes_reference": "MIN/2026/1"},
            ),
        ):
            workflow.advance(
                session,
                site.installation.catalogue,
                key="DHRC-PUNJAB",
                action=action,
                actor_email=officer,
                fields=fields,
                now=WEB_NOW - timedelta(hours=1),
            )
    api = site.api(officer)
    assert api.get("/api/v1/commitments/DHRC-PUNJAB").json()["actions"] == []
    refused = api.post(
        "/api/v1/commitments/DHRC-PUNJAB/advance",
        json={"action": "report_operational", "fields": {"first_report_on": "2026-06-10"}},
    )
    assert refused.status_code == 422
    # Punjab's 41 district committees are open: the first ten are named, the rest counted.
    message = refused.json()["error"]["message"]
    assert "41 of its children are still open (DHRC-PUNJAB-ATTOCK, " in message
    assert "and 31 more); it completes once they end" in message
    assert stage_of(site, "DHRC-PUNJAB")[0] == "first_meeting_held"
