"""The pipelines pages: the list, and each definition drawn with its tables."""

from __future__ import annotations

import re
from html import escape

from tests.web.conftest import Site

OFFICER = "law.officer.punjab@example.org"


def test_every_signed_in_person_sees_the_list(site: Site) -> None:
    page = site.browser(OFFICER).get("/pipelines")
    assert page.status_code == 200
    for pipeline in site.installation.catalogue.latest_all():
        assert f'href="/pipelines/{pipeline.key}"' in page.text


def test_the_provincial_bill_diagram_shows_every_stage_and_action(site: Site) -> None:
    page = site.browser(OFFICER).get("/pipelines/provincial_bill")
    assert page.status_code == 200
    svg = re.search(r"<svg.*?</svg>", page.text, re.S)
    assert svg is not None
    drawing = svg.group(0)
    pipeline = site.installation.catalogue.latest("provincial_bill")
    for stage in pipeline.stages:
        assert f'id="diagram-provincial_bill-{pipeline.version}-{stage.key}"' in drawing
        assert f"<title>{escape(stage.title.en, quote=False)}</title>" in drawing
    for transition in pipeline.transitions:
        assert escape(transition.title.en, quote=False) in drawing
    assert "style=" not in page.text


def test_the_tables_give_limits_ladder_and_fields(site: Site) -> None:
    text = site.browser(OFFICER).get("/pipelines/provincial_bill").text
    assert "15 working days" in text  # drafting
    assert "after 12 working days overdue" in text  # the chair's rung
    assert "Gazette notification number" in text
    assert 'id="stage-drafting"' in text


def test_an_unknown_pipeline_is_404_naming_the_known_ones(site: Site) -> None:
    response = site.browser(OFFICER).get("/pipelines/no_such_pipeline")
    assert response.status_code == 404
    assert "provincial_bill" in response.text
    assert site.browser(OFFICER).get("/pipelines/provincial_bill?version=99").status_code == 404


def test_the_pipelines_need_a_sign_in(site: Site) -> None:
    response = site.anonymous().get("/pipelines")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")
