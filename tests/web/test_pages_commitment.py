"""The commitment page and its forms: advancing, refused fields, conflicts, answers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from db import workflow
from db.engine import transaction
from db.models import Commitment, Escalation, Event
from db.sweep import run_sweep
from tests.web.conftest import WEB_NOW, Site, csrf_of
from tests.web.pages import Form, form_for, forms, post_form, stage_of, text_of

ITEM = "CMB-PUNJAB"
PAGE = f"/commitments/{ITEM}"
ADVANCE = f"{PAGE}/advance"
OFFICER = "law.officer.punjab@example.org"
SECRETARY = "law.secretary.punjab@example.org"


def move(site: Site, *actions: str, actor: str = OFFICER, key: str = ITEM) -> None:
    with transaction(site.installation.sessions) as session:
        for action in actions:
            workflow.advance(
                session,
                site.installation.catalogue,
                key=key,
                action=action,
                actor_email=actor,
                now=WEB_NOW - timedelta(hours=1),
            )


def events_of(site: Site, key: str = ITEM) -> int:
    with transaction(site.installation.sessions) as session:
        commitment = session.scalars(select(Commitment).where(Commitment.key == key)).one()
        return len(session.scalars(select(Event).where(Event.commitment_id == commitment.id)).all())


def test_the_page_draws_the_stages_with_the_current_one_marked_and_the_history(
    site: Site,
) -> None:
    move(site, "send_for_vetting")
    page = site.browser(OFFICER).get(PAGE)
    assert page.status_code == 200
    steps = re.findall(r'<li class="step step-(\w+)"', page.text)
    assert steps[:3] == ["done", "current", "ahead"]
    bill = site.installation.catalogue.latest("provincial_bill")
    # Every open stage and enactment; withdrawn only once there.
    assert len(steps) == len([s for s in bill.stages if not s.terminal]) + 1 == 17
    current = re.search(r'aria-current="step">(.*?)</li>', page.text, re.S)
    assert current and "Law Department vetting" in current.group(1)
    assert "current stage" in current.group(1)  # in words, not only by colour
    text = text_of(page.text)
    assert "Started in Drafting in the sponsoring department" in text
    moved = (
        r"Send to the Law Department for vetting ?: Drafting in the sponsoring department"
        r" → Law Department vetting"
    )
    assert re.search(moved, text)
    assert "12 December 2026" in text  # the deadline, six months from the meeting
    # Only the actions this officer may take, each its own form.
    actions = {form.inputs.get("action") for form in _advance_forms(page.text)}
    assert actions == {"vet", "return_to_drafting"}


def _advance_forms(html: str) -> list[Form]:
    return [form for form in forms(html) if form.action == ADVANCE]


def test_advancing_through_the_form_moves_the_item_and_says_so(site: Site) -> None:
    browser = site.browser(OFFICER)
    _, response = post_form(browser, PAGE, ADVANCE, {"comment": "draft ready"}, "send_for_vetting")
    assert response.status_code == 303
    assert response.headers["location"] == PAGE
    assert stage_of(site, ITEM)[0] == "law_vetting"
    after = browser.get(PAGE)
    assert "Done: Send to the Law Department for vetting." in after.text
    assert "draft ready" in after.text
    # The confirmation is shown once.
    assert "Done:" not in browser.get(PAGE).text


def test_missing_and_malformed_fields_are_shown_beside_each_field_and_nothing_changes(
    site: Site,
) -> None:
    move(site, "send_for_vetting", "vet")
    before = stage_of(site, ITEM)
    browser = site.browser(SECRETARY)
    _, response = post_form(
        browser, PAGE, ADVANCE, {"field.cabinet_decision": ""}, "approve_in_cabinet"
    )
    assert response.status_code == 422
    html = response.text
    # The problem sits beside its input, which points at it and says it is invalid.
    assert '<p class="field-error" id="approve_in_cabinet-cabinet_decision-error">' in html
    assert re.search(
        r'<input id="approve_in_cabinet-cabinet_decision"[^>]*aria-describedby='
        r'"approve_in_cabinet-cabinet_decision-error" aria-invalid="true"',
        html,
    )
    assert "Cabinet decision number is needed for this action" in html
    assert 'class="error-summary"' in html
    assert stage_of(site, ITEM) == before

    _, response = post_form(
        browser, PAGE, ADVANCE, {"field.cabinet_decision": "CD-44/2026"}, "approve_in_cabinet"
    )
    assert response.status_code == 303
    approved = stage_of(site, ITEM)
    assert approved[0] == "cabinet_approved"
    _, response = post_form(
        browser,
        PAGE,
        ADVANCE,
        {"field.bill_number": "Bill No. 12 of 2026", "field.introduced_on": "next Tuesday"},
        "introduce",
    )
    assert response.status_code == 422
    assert "must be a date written YYYY-MM-DD" in response.text
    assert 'id="introduce-introduced_on-error"' in response.text
    # What was typed is kept.
    assert 'value="Bill No. 12 of 2026"' in response.text
    assert 'value="next Tuesday"' in response.text
    assert stage_of(site, ITEM) == approved


def test_a_required_comment_is_asked_for_beside_the_comment(site: Site) -> None:
    move(site, "send_for_vetting")
    _, response = post_form(site.browser(OFFICER), PAGE, ADVANCE, {}, "return_to_drafting")
    assert response.status_code == 422
    assert 'id="return_to_drafting-comment-error"' in response.text
    assert "Explain this action in the comment" in response.text
    assert stage_of(site, ITEM)[0] == "law_vetting"


def test_a_stale_form_is_not_applied_and_the_page_shows_what_changed(site: Site) -> None:
    mine = site.browser(OFFICER)
    stale = form_for(mine.get(PAGE).text, ADVANCE, "send_for_vetting")
    # Someone else moves the item first, from another browser.
    other = site.browser(SECRETARY)
    _, first = post_form(
        other, PAGE, ADVANCE, {"comment": "sent by the secretary"}, "send_for_vetting"
    )
    assert first.status_code == 303
    moved = stage_of(site, ITEM)
    events = events_of(site)

    response = mine.post(ADVANCE, data={**stale.inputs, "comment": "mine"})
    assert response.status_code == 409
    text = text_of(response.text)
    assert "Someone else changed this item while you were working" in text
    assert "Nothing you sent was applied" in text
    changed = re.search(r'<ol class="timeline changed">(.*?)</ol>', response.text, re.S)
    assert changed and "sent by the secretary" in changed.group(1)
    assert SECRETARY in changed.group(1)
    # Fresh forms for the item as it is now.
    fresh = form_for(response.text, ADVANCE, "vet")
    assert fresh.inputs["expected_version"] == str(moved[1])
    assert stage_of(site, ITEM) == moved
    assert events_of(site) == events


def test_an_officer_of_punjab_may_neither_see_nor_move_a_sindh_item(site: Site) -> None:
    browser = site.browser(OFFICER)
    assert browser.get("/commitments/CSW-SINDH").status_code == 403
    before = stage_of(site, "CSW-SINDH")
    response = browser.post(
        "/commitments/CSW-SINDH/advance",
        data={
            "action": "shortlist",
            "csrf_token": csrf_of(browser, "/items"),
            "expected_version": str(before[1]),
        },
    )
    assert response.status_code == 403
    assert stage_of(site, "CSW-SINDH") == before


def test_a_role_the_action_is_not_for_is_refused(site: Site) -> None:
    move(site, "send_for_vetting", "vet")
    browser = site.browser(OFFICER)
    response = browser.post(
        ADVANCE,
        data={"action": "approve_in_cabinet", "csrf_token": csrf_of(browser, PAGE)},
    )
    assert response.status_code == 403
    assert stage_of(site, ITEM)[0] == "cabinet_approval"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    browser = site.browser(OFFICER)
    sent = form_for(browser.get(PAGE).text, ADVANCE, "send_for_vetting").inputs
    del sent["csrf_token"]
    response = browser.post(ADVANCE, data=sent)
    assert response.status_code == 403
    assert stage_of(site, ITEM)[0] == "drafting"
    forged = browser.post(ADVANCE, data={**sent, "csrf_token": "forged"})
    assert forged.status_code == 403
    assert stage_of(site, ITEM)[0] == "drafting"


@pytest.fixture
def escalated(site: Site) -> Site:
    app = site.installation
    run_sweep(app.sessions, app.catalogue, app.calendar, now=WEB_NOW)
    return site


def open_escalations(site: Site) -> int:
    with transaction(site.installation.sessions) as session:
        commitment = session.scalars(select(Commitment).where(Commitment.key == ITEM)).one()
        return len(
            session.scalars(
                select(Escalation).where(
                    Escalation.commitment_id == commitment.id,
                    Escalation.level > 0,
                    Escalation.acknowledged_at.is_(None),
                )
            ).all()
        )


def test_an_overseer_acknowledges_the_escalations_with_a_reason(escalated: Site) -> None:
    site = escalated
    assert open_escalations(site) > 0
    browser = site.browser("cs.punjab@example.org")
    page = browser.get(PAGE)
    assert "Open escalations" in page.text
    _, refused = post_form(browser, PAGE, f"{PAGE}/acknowledge", {"reason": "  "})
    assert refused.status_code == 422
    assert 'id="acknowledge-reason-error"' in refused.text
    assert "Give a reason." in refused.text
    assert open_escalations(site) > 0

    _, done = post_form(browser, PAGE, f"{PAGE}/acknowledge", {"reason": "Cabinet meets Monday"})
    assert done.status_code == 303
    assert open_escalations(site) == 0
    after = text_of(browser.get(PAGE).text)
    assert "Acknowledged:" in after
    assert "Delay acknowledged" in after
    assert "Cabinet meets Monday" in after


def test_an_overseer_snoozes_the_escalations_until_a_day(escalated: Site) -> None:
    site = escalated
    browser = site.browser("cs.punjab@example.org")
    _, refused = post_form(
        browser, PAGE, f"{PAGE}/snooze", {"until": "soon", "reason": "waiting for cabinet"}
    )
    assert refused.status_code == 422
    assert 'id="snooze-until-error"' in refused.text
    assert 'value="waiting for cabinet"' not in refused.text  # a textarea keeps it as text
    assert "waiting for cabinet" in refused.text

    too_far = (WEB_NOW + timedelta(days=40)).date().isoformat()
    _, refused = post_form(browser, PAGE, f"{PAGE}/snooze", {"until": too_far, "reason": "later"})
    assert refused.status_code == 422
    assert "no later than" in refused.text

    until = (WEB_NOW + timedelta(days=5)).date()
    _, done = post_form(
        browser, PAGE, f"{PAGE}/snooze", {"until": until.isoformat(), "reason": "cabinet"}
    )
    assert done.status_code == 303
    with transaction(site.installation.sessions) as session:
        held = session.scalar(select(Commitment.snoozed_until).where(Commitment.key == ITEM))
    assert held == until


def test_an_officer_may_not_answer_escalations(escalated: Site) -> None:
    site = escalated
    browser = site.browser(OFFICER)
    page = browser.get(PAGE)
    assert f'action="{PAGE}/acknowledge"' not in page.text
    response = browser.post(
        f"{PAGE}/acknowledge", data={"reason": "seen", "csrf_token": csrf_of(browser, PAGE)}
    )
    assert response.status_code == 403
    assert open_escalations(site) > 0


def test_a_fan_out_shows_its_children_and_a_child_links_to_its_parent(site: Site) -> None:
    browser = site.browser("chair@example.org")
    parent = text_of(browser.get("/commitments/DHRC-NATIONAL").text)
    assert "Parts of this commitment" in parent
    assert "DHRC-SINDH" in parent and "DHRC-PUNJAB" in parent
    child = browser.get("/commitments/DHRC-PUNJAB").text
    assert 'href="/commitments/DHRC-NATIONAL"' in child


def test_a_province_lists_its_district_committees_one_row_each(site: Site) -> None:
    page = site.browser("chair@example.org").get("/commitments/DHRC-PUNJAB").text
    section = page[page.index('<section class="children"') :]
    section = section[: section.index("</section>")]
    rows = re.findall(r'<tr[^>]*>\s*<th scope="row"><a href="/commitments/([A-Z-]+)"', section)
    # Punjab's 41 districts, in a table of one row each rather than a card each.
    assert len(rows) == 41 and rows == sorted(rows)
    assert {"DHRC-PUNJAB-LAHORE", "DHRC-PUNJAB-MULTAN"} <= set(rows)
    assert "item-card" not in section
    # Each row says where the district stands and how late it is; the late ones are marked.
    text = text_of(section)
    assert "41 commitments, 41 stalled" in text
    assert section.count('<tr class="is-overdue">') == 41
    assert "Make the District Human Rights Committee in Multan operational" in text
    assert "Multan, Punjab Notified Overdue by" in text


def test_an_unknown_commitment_is_not_found(site: Site) -> None:
    assert site.browser(OFFICER).get("/commitments/NOPE-1").status_code == 404


def test_every_input_of_the_forms_has_its_label(escalated: Site) -> None:
    browser = escalated.browser("cs.punjab@example.org")
    answering = browser.get(PAGE).text  # stalled: the answer forms are there
    move(escalated, "send_for_vetting", "vet")
    approving = browser.get(PAGE).text  # at cabinet approval: fields to give
    for html, expected in (
        (answering, "snooze-until"),
        (approving, "approve_in_cabinet-cabinet_decision"),
    ):
        inputs = re.findall(r'<(?:input|textarea) id="([^"]+)"', html)
        assert expected in inputs
        for input_id in inputs:
            assert f'<label for="{input_id}">' in html, f"no label for {input_id}"


def test_the_next_steps_come_before_the_stages_and_the_facts(site: Site) -> None:
    # On a phone the person scrolls past whatever comes first to reach what they came for.
    page = site.browser(OFFICER).get("/commitments/CMB-PUNJAB").text

    steps = page.index('id="actions-heading"')
    assert steps < page.index('id="stages-heading"')
    assert steps < page.index('<dl class="facts">')
