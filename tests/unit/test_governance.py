"""Governance checks: gaps that let a decision stall unseen in files that are otherwise valid."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.definition import Pipeline
from states.governance import calendar_findings, pipeline_findings

CATALOGUE = Catalogue.from_directories([BUNDLED_PIPELINES])
TODAY = date(2026, 11, 29)


def _edited(key: str, **changes: Any) -> Pipeline:
    written = CATALOGUE.get(key).model_dump(mode="json", by_alias=True, exclude_none=True)
    return Pipeline.model_validate({**written, **changes})


def test_every_bundled_pipeline_passes_and_cites_its_sources() -> None:
    for pipeline in CATALOGUE.latest_all():
        assert pipeline_findings(pipeline, bundled=True) == [], pipeline.key
        assert pipeline.cites, pipeline.key


def test_a_stage_without_a_limit_a_short_ladder_and_no_citation_are_each_found() -> None:
    bill = CATALOGUE.get("provincial_bill")
    written = bill.model_dump(mode="json", by_alias=True, exclude_none=True)
    stages = [{**written["stages"][0], "time_limit": None}, *written["stages"][1:]]
    stages = [{k: v for k, v in s.items() if v is not None} for s in stages]
    gappy = _edited("provincial_bill", stages=stages, ladder=written["ladder"][:-1], cites=[])

    said = [str(f) for f in pipeline_findings(gappy, bundled=True)]

    named = f"pipeline provincial_bill version {bill.version}"
    assert said == [
        f"{named}: stage 'drafting' has no time limit: an item can stay there unescalated",
        f"{named}: its ladder ends at {bill.ladder[-2].notify}, not at the chair",
        f"{named}: cites no source (an Article, an Act, rules of procedure or the meeting's"
        " decision) for its procedure",
    ]
    # A pipeline of one's own need not cite; one carried by its children needs no limit.
    assert len(pipeline_findings(gappy, bundled=False)) == 2
    assert pipeline_findings(CATALOGUE.get("fan_out"), bundled=False) == []


@pytest.mark.parametrize(
    ("calendar", "says"),
    [
        pytest.param(None, "no calendar file", id="none"),
        pytest.param(WorkingCalendar(), "does not say how far ahead", id="not-said"),
        pytest.param(
            WorkingCalendar(reviewed_through=date(2027, 6, 30)),
            "reviewed only through 2027-06-30; review them through 2027-11-29",
            id="six-months",
        ),
    ],
)
def test_a_calendar_not_reviewed_twelve_months_ahead_is_found(
    calendar: WorkingCalendar | None, says: str
) -> None:
    [finding] = calendar_findings(calendar, today=TODAY)
    assert says in finding.problem


def test_a_calendar_reviewed_a_year_ahead_passes() -> None:
    assert (
        calendar_findings(WorkingCalendar(reviewed_through=date(2027, 11, 29)), today=TODAY) == []
    )


def test_citations_change_no_checksum() -> None:
    bill = CATALOGUE.get("provincial_bill")
    assert _edited("provincial_bill", cites=["another source"]).checksum() == bill.checksum()
    assert "another source" in _edited("provincial_bill", cites=["another source"]).canonical_json()
