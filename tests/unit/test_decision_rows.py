"""Spreadsheet rows of a meeting's decisions become the meeting file they stand for.

Each problem names its file, sheet, row and column; every problem is listed at once.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from states.decision_rows import meeting_of, meeting_rows
from states.errors import DefinitionError

MEETING = meeting_rows("ntf_hr_09", "9th meeting", date(2026, 9, 10))
DECISION = {
    "key": "ACID-PUNJAB",
    "title": "Enact an acid attack law in Punjab",
    "pipeline": "provincial_bill",
    "jurisdiction": "punjab",
    "department": "law",
    "agenda_item": 3,
    "deadline": datetime(2027, 3, 31),
    "refs": "sdg:5.2; nap:HR-3",
    "tags": "acid;",
    "parent": None,
}


def _known(key: str) -> str | None:
    return None if key == "provincial_bill" else f"no pipeline {key!r}"


def test_a_row_becomes_a_commitment_as_the_meeting_file_would_hold_it() -> None:
    file = meeting_of("m9.xlsx", meeting=MEETING, decisions=[(2, DECISION), (3, {"key": None})])

    assert file.meeting.key == "ntf_hr_09" and file.meeting.held_on == date(2026, 9, 10)
    (spec,) = file.commitments
    assert spec.agenda_item == "3" and spec.deadline == date(2027, 3, 31)
    assert spec.refs == ("sdg:5.2", "nap:HR-3") and spec.tags == ("acid",)
    assert spec.parent is None


def test_every_bad_cell_is_named_by_its_row_and_column() -> None:
    bad = {**DECISION, "key": "BAD-1", "pipeline": "no_such", "start": "soon", "colour": "red"}
    with pytest.raises(DefinitionError) as refused:
        meeting_of(
            "m9.xlsx",
            meeting=MEETING[:2],
            decisions=[(2, DECISION), (5, bad)],
            pipeline_problem=_known,
        )

    lines = refused.value.message.splitlines()
    assert "m9.xlsx decisions row 5: colour: unknown column; the columns are key," in lines[0]
    assert lines[1] == "m9.xlsx decisions row 5: pipeline: no pipeline 'no_such'"
    assert "m9.xlsx meeting row 1: held_on: is required but missing" in lines
    assert any(line.startswith("m9.xlsx decisions row 5: start: ") for line in lines)
    assert refused.value.exit_code == 65


def test_a_key_used_twice_names_the_second_row() -> None:
    with pytest.raises(DefinitionError) as refused:
        meeting_of("m9.csv", meeting=MEETING, decisions=[(2, DECISION), (3, DECISION)])

    assert "m9.csv decisions row 3: key: commitment key ACID-PUNJAB is used twice" in (
        refused.value.message
    )


def test_no_decisions_is_refused() -> None:
    with pytest.raises(DefinitionError, match="holds no decisions"):
        meeting_of("m9.csv", meeting=MEETING, decisions=[(2, {"key": ""})])


def test_a_decision_may_carry_its_title_in_urdu_in_its_own_column() -> None:
    urdu = {**DECISION, "title_ur": "پنجاب میں تیزاب گردی کی روک تھام کا قانون نافذ کیا جائے"}
    file = meeting_of("m9.xlsx", meeting=MEETING, decisions=[(2, urdu)])

    (spec,) = file.commitments
    assert spec.title.en == "Enact an acid attack law in Punjab"
    assert spec.title.in_("ur").text == "پنجاب میں تیزاب گردی کی روک تھام کا قانون نافذ کیا جائے"
    assert meeting_of("m9.xlsx", meeting=MEETING, decisions=[(2, DECISION)]).commitments[
        0
    ].title.ur is None


def test_an_urdu_title_without_the_english_one_is_named_by_its_row() -> None:
    urdu_only = {**DECISION, "title": None, "title_ur": "پنجاب میں تیزاب گردی کا قانون"}
    with pytest.raises(DefinitionError) as refused:
        meeting_of("m9.xlsx", meeting=MEETING, decisions=[(4, urdu_only)])

    assert "m9.xlsx decisions row 4: title: the English title (en:) is missing" in str(
        refused.value
    )
