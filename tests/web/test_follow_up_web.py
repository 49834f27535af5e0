"""An enacted bill's follow-up (its rules and bodies) is shown as a part of the bill, on its
page and through the API, and its own page leads back to the bill, in English and Urdu."""

from __future__ import annotations

from datetime import timedelta

from db import workflow
from db.engine import transaction
from tests.web.conftest import WEB_NOW, Site, csrf_of
from tests.web.pages import text_of

LAW_OFFICER = "law.officer.punjab@example.org"
LAW_SECRETARY = "law.secretary.punjab@example.org"
CHIEF_SECRETARY = "cs.punjab@example.org"
TO_ENACTMENT: list[tuple[str, str, dict[str, str]]] = [
    ("send_for_vetting", LAW_OFFICER, {}),
    ("vet", LAW_SECRETARY, {}),
    ("approve_in_cabinet", CHIEF_SECRETARY, {"cabinet_decision": "CAB-2026-41"}),
    ("introduce", CHIEF_SECRETARY, {"bill_number": "Bill 12", "introduced_on": "2026-07-01"}),
    ("pass", LAW_OFFICER, {"passed_on": "2026-07-02"}),
    ("send_for_assent", LAW_OFFICER, {}),
    (
        "notify_in_gazette",
        LAW_OFFICER,
        {"act_number": "Act XIV of 2026", "gazette_notification": "PJG-2026-991"},
    ),
]


def _enact(site: Site) -> None:
    start = WEB_NOW - timedelta(hours=len(TO_ENACTMENT) + 1)
    for hour, (action, actor, fields) in enumerate(TO_ENACTMENT, start=1):
        with transaction(site.installation.sessions) as session:
            workflow.advance(
                session,
                site.installation.catalogue,
                key="CMB-PUNJAB",
                action=action,
                actor_email=actor,
                fields=fields,
                now=start + timedelta(hours=hour),
            )


def test_the_bill_shows_its_follow_up_as_a_part_and_the_follow_up_leads_back(site: Site) -> None:
    _enact(site)
    browser = site.browser(LAW_OFFICER)

    bill = text_of(browser.get("/commitments/CMB-PUNJAB").text)
    assert "Parts of this commitment" in bill
    assert "CMB-PUNJAB-ACT" in bill
    assert "Rules and bodies under the act: Enact a child marriage restraint law" in bill
    assert "Rules under the act being drafted" in bill

    page = browser.get("/commitments/CMB-PUNJAB-ACT")
    assert page.status_code == 200
    assert 'href="/commitments/CMB-PUNJAB"' in page.text
    assert "Act XIV of 2026" in text_of(page.text)

    api = site.api(LAW_OFFICER).get("/api/v1/commitments/CMB-PUNJAB").json()
    assert [child["key"] for child in api["children"]] == ["CMB-PUNJAB-ACT"]

    browser.post(
        "/preferences/language",
        data={"language": "ur", "next": "/board", "csrf_token": csrf_of(browser, "/board")},
    )
    urdu = text_of(browser.get("/commitments/CMB-PUNJAB").text)
    assert "ایکٹ کے تحت قواعد اور ادارے: پنجاب میں" in urdu
