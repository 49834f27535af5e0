"""The commitment page and API: a move dated when it happened; the meetings that restated it."""

from __future__ import annotations

from pathlib import Path

from db.engine import transaction
from db.loading import load_meeting
from states.meeting import load_meeting_file
from tests.web.conftest import WEB_NOW, Site
from tests.web.pages import form_for, post_form, stage_of, text_of

ITEM = "CMB-PUNJAB"
PAGE = f"/commitments/{ITEM}"
ADVANCE = f"{PAGE}/advance"
OFFICER = "law.officer.punjab@example.org"


def test_the_advance_form_offers_today_and_the_history_shows_both_dates(site: Site) -> None:
    browser = site.browser(OFFICER)
    form = form_for(browser.get(PAGE).text, ADVANCE, "send_for_vetting")
    assert form.inputs["effective_at"] == "2026-07-27"  # WEB_NOW's day in Pakistan

    _, response = post_form(
        browser, PAGE, ADVANCE, {"effective_at": "2026-07-24"}, "send_for_vetting"
    )

    assert response.status_code == 303, response.text[:500]
    assert stage_of(site, ITEM)[0] == "law_vetting"
    history = text_of(browser.get(PAGE).text)
    assert "24 July 2026, 09:00 (recorded 27 July 2026, 11:00)" in history


def test_a_date_in_the_future_is_refused_beside_the_input(site: Site) -> None:
    browser = site.browser(OFFICER)

    _, response = post_form(
        browser, PAGE, ADVANCE, {"effective_at": "2026-07-29"}, "send_for_vetting"
    )

    assert response.status_code == 422
    assert 'id="send_for_vetting-effective_at-error"' in response.text
    assert "the move can&#39;t be dated in the future" in response.text
    assert stage_of(site, ITEM)[0] == "drafting"


def test_the_api_takes_effective_at_and_returns_it_beside_at(site: Site) -> None:
    client = site.api(OFFICER)

    refused = client.post(
        f"/api/v1/commitments/{ITEM}/advance",
        json={"action": "send_for_vetting", "effective_at": "2026-05-01T09:00:00"},
    )
    moved = client.post(
        f"/api/v1/commitments/{ITEM}/advance",
        json={"action": "send_for_vetting", "effective_at": "2026-07-24T09:00:00+05:00"},
    )

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_fields"
    assert "before the previous event" in refused.json()["error"]["message"]
    assert moved.status_code == 200, moved.text
    last = moved.json()["history"][-1]
    assert last["effective_at"] == "2026-07-24T04:00:00Z"
    assert last["at"] == WEB_NOW.isoformat().replace("+00:00", "Z")


NINTH = """\
meeting:
  key: ntf_hr_09
  title: 9th meeting of the National Task Force on Human Rights
  held_on: 2026-07-20
commitments:
  - key: CMB-PUNJAB
    title: Enact a child marriage restraint law in Punjab setting the minimum marriage age at 18
    pipeline: provincial_bill
    jurisdiction: punjab
    department: law
    deadline: 2027-03-31
"""


def test_the_page_says_at_which_later_meetings_it_was_reiterated(
    site: Site, tmp_path: Path
) -> None:
    path = tmp_path / "meeting-09.yaml"
    path.write_text(NINTH, encoding="utf-8")
    app = site.installation
    with transaction(app.sessions) as session:
        load_meeting(session, app.catalogue, load_meeting_file(path), now=WEB_NOW)

    text = text_of(site.browser(OFFICER).get(PAGE).text)

    assert "Reiterated at 9th meeting of the National Task Force on Human Rights" in text
    assert "Restated at a later meeting" in text and "Amended at a later meeting" in text
    assert "31 March 2027" in text
