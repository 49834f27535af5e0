"""The board: every commitment in scope by pipeline stage and province, with filters."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from db import attention
from db.digest import record_digests
from db.engine import transaction
from db.models import Commitment
from db.sweep import run_sweep
from taskforce.web import details
from tests.web.conftest import WEB_NOW, Site, csrf_of

CHAIR = "chair@example.org"
CS_PUNJAB = "cs.punjab@example.org"
OFFICER = "law.officer.punjab@example.org"
KEY_LINK = re.compile(r'href="/commitments/([A-Z0-9-]+)"')
# The whole board on one page: the sample's 166 commitments are more than a page (50) holds.
WHOLE = "size=500"


def keys_on(page: str) -> set[str]:
    return set(KEY_LINK.findall(page))


def test_the_chair_sees_every_province(site: Site) -> None:
    response = site.browser(CHAIR).get(f"/board?{WHOLE}")
    assert response.status_code == 200, response.text
    with transaction(site.installation.sessions) as session:
        every = set(session.scalars(select(Commitment.key)))
        provinces = {j.partition("/")[0] for j in session.scalars(select(Commitment.jurisdiction))}
    assert keys_on(response.text) == every
    for province in provinces - {"federal"}:
        name = {
            "khyber_pakhtunkhwa": "Khyber Pakhtunkhwa",
            "azad_kashmir": "Azad Jammu and Kashmir",
            "gilgit_baltistan": "Gilgit-Baltistan",
        }.get(province, province.title())
        assert f'<th scope="row">{name}</th>' in response.text, province


def test_a_chief_secretary_sees_only_their_province(site: Site) -> None:
    response = site.browser(CS_PUNJAB).get(f"/board?{WHOLE}")
    assert response.status_code == 200
    with transaction(site.installation.sessions) as session:
        punjab = {
            c.key
            for c in session.scalars(select(Commitment))
            if c.jurisdiction == "punjab" or c.jurisdiction.startswith("punjab/")
        }
    assert punjab and keys_on(response.text) == punjab


def test_an_officer_may_not_open_the_board_or_the_digests(site: Site) -> None:
    officer = site.browser(OFFICER)
    assert officer.get("/board").status_code == 403
    assert officer.get("/digests").status_code == 403


def test_filters_narrow_the_board_and_stay_in_the_link(site: Site) -> None:
    chair = site.browser(CHAIR)
    everything = keys_on(chair.get(f"/board?{WHOLE}").text)
    bills = chair.get("/board?pipeline=provincial_bill&jurisdiction=khyber_pakhtunkhwa")
    assert bills.status_code == 200
    with transaction(site.installation.sessions) as session:
        expected = set(
            session.scalars(
                select(Commitment.key).where(
                    Commitment.pipeline_key == "provincial_bill",
                    Commitment.jurisdiction.startswith("khyber_pakhtunkhwa"),
                )
            )
        )
    assert expected and keys_on(bills.text) == expected < everything
    # The form shows what was asked, so the page can be shared and changed.
    assert '<option value="provincial_bill" selected>' in bills.text
    assert '<option value="khyber_pakhtunkhwa" selected>' in bills.text


def test_stalled_only_shows_items_past_due_with_the_level_actually_escalated(site: Site) -> None:
    app = site.installation
    run_sweep(app.sessions, app.catalogue, app.calendar, now=WEB_NOW)
    chair = site.browser(CHAIR)
    response = chair.get(f"/board?stalled=1&{WHOLE}")
    assert response.status_code == 200
    shown = keys_on(response.text)
    with transaction(app.sessions) as session:
        stalled = {}
        listed = list(session.scalars(select(Commitment)))
        answers = attention.answers_of(session, listed, today=WEB_NOW.date())
        for commitment in listed:
            timing = details.timing(app, commitment, WEB_NOW)
            if commitment.status == "open" and timing.stalled:
                stalled[commitment.key] = answers[commitment.id].level
    assert stalled and shown == set(stalled)
    key, level = max(stalled.items(), key=lambda kv: kv[1] or 0)
    assert level
    card = re.search(rf'href="/commitments/{key}".*?</li>', response.text, re.S)
    assert card is not None
    assert f">L{level}<" in card.group(0)
    assert f"Escalation level {level}" in card.group(0)  # said in words, not by colour alone


def test_an_unknown_pipeline_or_jurisdiction_is_a_clear_400(site: Site) -> None:
    chair = site.browser(CHAIR)
    response = chair.get("/board?pipeline=no_such_thing")
    assert response.status_code == 400
    assert "There is no pipeline “no_such_thing”" in response.text
    assert "provincial_bill" in response.text
    response = chair.get("/board?jurisdiction=atlantis")
    assert response.status_code == 400
    assert "There is no jurisdiction “atlantis”" in response.text
    response = chair.get("/board?stalled=maybe")
    assert response.status_code == 400


def test_a_province_filter_outside_ones_jurisdiction_is_refused(site: Site) -> None:
    response = site.browser(CS_PUNJAB).get("/board?jurisdiction=sindh")
    assert response.status_code == 400
    assert "outside your jurisdiction" in response.text
    assert not keys_on(response.text)


def test_an_unknown_department_is_named(site: Site) -> None:
    response = site.browser(CHAIR).get("/board?department=astronomy")
    assert response.status_code == 400
    assert "astronomy" in response.text and "Known:" in response.text


def test_the_charts_are_inline_svg_with_their_numbers_in_words(site: Site) -> None:
    page = site.browser(CHAIR).get("/board").text
    assert page.count("<svg") == 2
    assert 'aria-label="Overdue items by province: ' in page
    assert 'aria-label="Items completed per week: ' in page
    assert "style=" not in page  # the security policy refuses inline styles


def test_the_board_links_to_the_latest_digest(site: Site) -> None:
    app = site.installation
    with transaction(app.sessions) as session:
        made = record_digests(session, app.catalogue, app.calendar, now=WEB_NOW - timedelta(days=1))
        punjab = next(d.id for d in made if d.scope == "punjab")
        federal = next(d.id for d in made if d.scope == "federal")
    assert f'href="/digests/{federal}"' in site.browser(CHAIR).get("/board").text
    page = site.browser(CS_PUNJAB).get("/board").text
    assert f'href="/digests/{punjab}"' in page and f'href="/digests/{federal}"' not in page


def test_the_board_in_urdu_is_right_to_left(site: Site) -> None:
    chair = site.browser(CHAIR)
    chair.post(
        "/preferences/language",
        data={"language": "ur", "next": "/board", "csrf_token": csrf_of(chair, "/board")},
    )
    page = chair.get("/board").text
    assert 'dir="rtl"' in page
