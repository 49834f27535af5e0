"""The pipeline diagram: every stage and transition drawn, boxes apart, text escaped."""

from __future__ import annotations

from html import escape
from itertools import combinations
from pathlib import Path
from xml.etree import ElementTree

import pytest

import states.pipelines
from states.catalogue import Catalogue
from states.definition import Pipeline
from taskforce.web import diagram

BUNDLED = Catalogue.from_directories([Path(states.pipelines.__file__).parent]).latest_all()
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(params=BUNDLED, ids=lambda p: p.key)
def pipeline(request: pytest.FixtureRequest) -> Pipeline:
    found: Pipeline = request.param
    return found


def test_every_stage_has_one_box_and_no_boxes_overlap(pipeline: Pipeline) -> None:
    drawn = diagram.layout(pipeline)
    assert [box.key for box in drawn.boxes] == [stage.key for stage in pipeline.stages]
    for one, other in combinations(drawn.boxes, 2):
        assert not one.overlaps(other), f"{one.key} overlaps {other.key}"
    for box in drawn.boxes:
        assert 0 <= box.x and box.right <= drawn.width
        assert 0 <= box.y and box.bottom <= drawn.height


def test_every_transition_is_an_arrow(pipeline: Pipeline) -> None:
    drawn = diagram.layout(pipeline)
    drawn_moves = {
        (arrow.source, arrow.target, action) for arrow in drawn.arrows for action in arrow.actions
    }
    for transition in pipeline.transitions:
        sources = ("*",) if "*" in transition.from_ else transition.from_
        for source in sources:
            assert (source, transition.to, transition.action) in drawn_moves
    assert all(arrow.path.startswith("M") for arrow in drawn.arrows)


def test_the_svg_is_well_formed_and_names_every_stage_and_action(pipeline: Pipeline) -> None:
    drawing = diagram.svg(pipeline)
    root = ElementTree.fromstring(drawing)
    assert root.tag == f"{SVG}svg" and root.get("viewBox")
    assert "style" not in drawing  # the pages' security policy refuses inline styles
    for stage in pipeline.stages:
        assert f"<title>{escape(stage.title.en, quote=False)}</title>" in drawing
    for transition in pipeline.transitions:
        assert escape(transition.title.en, quote=False) in drawing


def test_stages_run_left_to_right_from_the_initial_one_with_terminals_last() -> None:
    bill = next(p for p in BUNDLED if p.key == "provincial_bill")
    column = diagram.columns(bill)
    main_line = [
        "drafting", "law_vetting", "cabinet_approval", "cabinet_approved", "introduced",
        "standing_committee", "passed", "governor_assent", "reconsideration",
        "governor_assent_again",
    ]  # fmt: skip
    assert [column[key] for key in main_line] == list(range(len(main_line)))
    last = max(column.values())
    assert column["enacted"] == column["withdrawn"] == last
    assert all(column[s.key] < last for s in bill.stages if not s.terminal)
    assert {
        ("law_vetting", "drafting"),
        ("cii_referral", "introduced"),
        ("to_be_reintroduced", "cabinet_approved"),
    } <= diagram.back_edges(bill)
    kinds = {(a.source, a.target): a.kind for a in diagram.layout(bill).arrows}
    assert kinds[("introduced", "passed")] == "skip"
    assert kinds[("law_vetting", "drafting")] == "back"
    assert kinds[("drafting", "withdrawn")] == "skip"  # withdrawn before passage only
    task = next(p for p in BUNDLED if p.key == "action_task")
    assert "any" in {a.kind for a in diagram.layout(task).arrows if a.source == "*"}


def test_titles_are_escaped() -> None:
    hostile = Pipeline.model_validate(
        {
            "key": "hostile",
            "version": 1,
            "title": "A <b>bold</b> & risky pipeline",
            "initial": "start",
            "stages": [
                {"key": "start", "title": "<script>alert(1)</script>", "owner": "officer",
                 "time_limit": 3},
                {"key": "done", "title": 'Done "quoted" & <ended>', "owner": "officer",
                 "terminal": True, "outcome": "completed"},
            ],
            "transitions": [
                {"action": "finish", "title": "Finish </text><svg onload=x>", "from": "start",
                 "to": "done", "roles": ["officer"]},
            ],
        }
    )  # fmt: skip
    drawing = diagram.svg(hostile)
    assert "<script>" not in drawing and "<svg onload" not in drawing and "<b>" not in drawing
    assert "&lt;script&gt;" in drawing
    ElementTree.fromstring(drawing)  # still well-formed


def test_long_titles_wrap_and_are_cut_with_an_ellipsis() -> None:
    assert diagram.wrap("Send to the Law Department for vetting", 21, lines=3) == (
        "Send to the Law",
        "Department for",
        "vetting",
    )
    cut = diagram.wrap("one two three four five six seven eight nine ten", 9, lines=2)
    assert len(cut) == 2 and cut[-1].endswith("…")
    assert diagram.wrap("Supercalifragilistic", 8, lines=3) == ("Supercal", "ifragili", "stic")


def test_a_time_limit_is_said_by_its_clock_in_english_and_urdu() -> None:
    from states.definition import Clock, Stage
    from taskforce.web.diagram import time_limit_text
    from taskforce.web.i18n import translator

    def stage(limit: int | None, clock: Clock = Clock.WORKING_DAYS) -> Stage:
        return Stage.model_validate(
            {"key": "assent", "title": {"en": "Assent"}, "owner": "secretary",
             "time_limit": limit, "clock": clock}
        )  # fmt: skip

    english = translator("en")
    assert time_limit_text(stage(7), english, "en") == "7 working days"
    assert time_limit_text(stage(1), english, "en") == "1 working day"
    assert time_limit_text(stage(10, Clock.CALENDAR_DAYS), english, "en") == "10 days"
    assert time_limit_text(stage(1, Clock.MONTHS), english, "en") == "1 month"
    assert time_limit_text(stage(None), english, "en") == "no time limit"
    urdu = translator("ur")
    assert time_limit_text(stage(10, Clock.CALENDAR_DAYS), urdu, "ur") == "10 دن"
    assert "دن" in time_limit_text(stage(7), urdu, "ur")
    assert "دن" in time_limit_text(stage(1), urdu, "ur")
