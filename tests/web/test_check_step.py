"""Consequential moves are checked before they are taken, dates of things done are not in the
future, a stale form keeps what was typed, and every form that succeeds redirects (303)."""

from __future__ import annotations

from datetime import timedelta

from db import workflow
from db.engine import transaction
from tests.web.conftest import WEB_NOW, Site
from tests.web.pages import form_for, forms, post_form, stage_of, text_of

ITEM = "CMB-PUNJAB"
PAGE = f"/commitments/{ITEM}"
ADVANCE = f"{PAGE}/advance"
OFFICER = "law.officer.punjab@example.org"
SECRETARY = "law.secretary.punjab@example.org"
REASON = "The cabinet dropped the bill after the consultation."


def to_introduced(site: Site) -> None:
    """The bill through vetting and cabinet, introduced in the assembly."""
    moves = [
        ("send_for_vetting", OFFICER, {}),
        ("vet", OFFICER, {}),
        ("approve_in_cabinet", SECRETARY, {"cabinet_decision": "C-9"}),
        ("introduce", SECRETARY, {"bill_number": "B-9", "introduced_on": "2026-07-20"}),
    ]
    with transaction(site.installation.sessions) as session:
        for action, actor, fields in moves:
            workflow.advance(
                session,
                site.installation.catalogue,
                key=ITEM,
                action=action,
                actor_email=actor,
                fields=fields,
                now=WEB_NOW - timedelta(hours=1),
            )


def test_withdrawing_shows_a_check_page_and_changes_nothing_until_confirmed(site: Site) -> None:
    browser = site.browser(SECRETARY)
    page = browser.get(PAGE)
    # Withdrawing is offered as a destructive move, never open as the suggested one.
    assert 'class="action destructive-move" id="action-withdraw">' in page.text
    before = stage_of(site, ITEM)
    _, check = post_form(browser, PAGE, ADVANCE, {"comment": REASON}, action="withdraw")
    assert check.status_code == 200
    shown = text_of(check.text)
    assert "Check your answers" in shown
    assert "This ends the commitment" in shown
    assert REASON in shown
    assert stage_of(site, ITEM) == before
    # Change goes back to the form with what was typed.
    change = next(f for f in forms(check.text) if f.inputs.get("step") == "change")
    changed = browser.post(ADVANCE, data=change.inputs)
    assert changed.status_code == 200
    assert REASON in changed.text
    assert stage_of(site, ITEM) == before
    confirm = next(f for f in forms(check.text) if f.inputs.get("step") == "confirmed")
    done = browser.post(ADVANCE, data=confirm.inputs)
    assert done.status_code == 303
    assert done.headers["location"] == PAGE
    assert stage_of(site, ITEM)[0] == "withdrawn"


def test_a_future_date_passed_by_the_assembly_is_refused_naming_the_field(site: Site) -> None:
    to_introduced(site)
    browser = site.browser(OFFICER)
    tomorrow = (WEB_NOW + timedelta(days=1)).date().isoformat()
    _, refused = post_form(browser, PAGE, ADVANCE, {"field.passed_on": tomorrow}, action="pass")
    assert refused.status_code == 422
    shown = text_of(refused.text)
    assert "Date passed by the assembly" in shown
    assert "be in the future: " in shown
    assert stage_of(site, ITEM)[0] == "introduced"
    # A day already past is checked first (the pipeline marks the move confirm: true).
    _, check = post_form(browser, PAGE, ADVANCE, {"field.passed_on": "2026-07-24"}, action="pass")
    assert check.status_code == 200
    assert "Check your answers" in check.text
    assert stage_of(site, ITEM)[0] == "introduced"


def test_a_stale_form_keeps_the_typed_comment(site: Site) -> None:
    browser = site.browser(OFFICER)
    page = browser.get(PAGE).text
    sent = form_for(page, ADVANCE, "send_for_vetting").inputs
    # Someone else moves the bill while the officer is typing.
    with transaction(site.installation.sessions) as session:
        workflow.advance(
            session,
            site.installation.catalogue,
            key=ITEM,
            action="send_for_vetting",
            actor_email=OFFICER,
            now=WEB_NOW - timedelta(minutes=5),
        )
    typed = "Sent with the annexures the Law Department asked for."
    stale = browser.post(ADVANCE, data={**sent, "comment": typed})
    assert stale.status_code == 409
    assert typed in stale.text
    assert 'class="notice conflict error-summary" role="alert" tabindex="-1"' in stale.text


def test_every_successful_form_redirects(site: Site) -> None:
    browser = site.browser(OFFICER)
    _, moved = post_form(browser, PAGE, ADVANCE, {}, action="send_for_vetting")
    assert moved.status_code == 303
    _, noted = post_form(browser, PAGE, f"{PAGE}/notes", {"text": "Draft shared."})
    assert noted.status_code == 303
