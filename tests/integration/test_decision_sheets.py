"""A 9th meeting's decisions from the spreadsheet template, on SQLite and PostgreSQL.

The template is written, filled with openpyxl (one new decision, CMB-PUNJAB restated
with a new deadline), previewed (nothing kept) and imported through the same load as
a meeting file; a row with an unknown pipeline is refused by its row number.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from db import queries
from states.catalogue import Catalogue
from states.errors import DefinitionError, NotFoundError
from taskforce.decision_sheets import (
    load_decisions,
    pipeline_problem,
    read_decisions,
    template_xlsx,
)

LOADED_9TH = datetime(2026, 9, 11, 5, 0, tzinfo=UTC)
CMB_PUNJAB = [
    "CMB-PUNJAB",
    "Enact a child marriage restraint law in Punjab setting the minimum marriage age at 18",
    "provincial_bill",
    "punjab",
    "law",
    "law.officer.punjab@example.org",
    "2",
    None,
    date(2027, 3, 31),
]
ACID_PUNJAB = [
    "ACID-PUNJAB",
    "Enact an acid attack law in Punjab",
    "provincial_bill",
    "punjab",
    "law",
    "law.officer.punjab@example.org",
    3,
    None,
    None,
    None,
    "sdg:5.2; nap:HR-3",
    "acid",
]


def _ninth(tmp_path: Path, *rows: list[object]) -> Path:
    book = load_workbook(io.BytesIO(template_xlsx()))
    meeting = book["meeting"]
    meeting["B2"], meeting["B3"], meeting["B4"] = "ntf_hr_09", "9th meeting", date(2026, 9, 10)
    for row in rows:
        book["decisions"].append(row)
    path = tmp_path / "meeting-09.xlsx"
    book.save(path)
    return path


def _state(sessions: sessionmaker[Session]) -> tuple[bool, date | None, list[str]]:
    with sessions() as session:
        try:
            queries.get_commitment(session, "ACID-PUNJAB")
            added = True
        except NotFoundError:
            added = False
        cmb = queries.get_commitment(session, "CMB-PUNJAB")
        return added, cmb.deadline, [e.kind for e in queries.history(session, cmb)]


def test_the_9th_meeting_is_previewed_then_imported_once(
    loaded: Catalogue, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    before = _state(sessions)
    file = read_decisions(
        _ninth(tmp_path, CMB_PUNJAB, ACID_PUNJAB), pipeline_problem=pipeline_problem(loaded)
    )

    preview = load_decisions(sessions, loaded, file, now=LOADED_9TH, preview=True)
    assert _state(sessions) == before
    imported = load_decisions(sessions, loaded, file, now=LOADED_9TH)
    again = load_decisions(sessions, loaded, file, now=LOADED_9TH)

    for report in (preview, imported):
        assert report.commitments_added == ["ACID-PUNJAB"]
        assert report.commitments_reiterated == report.commitments_amended == ["CMB-PUNJAB"]
    added, deadline, kinds = _state(sessions)
    assert added and deadline == date(2027, 3, 31)
    assert kinds == [*before[2], "reiterated", "amended"]
    assert not again.changed
    with sessions() as session:
        acid = queries.get_commitment(session, "ACID-PUNJAB")
        assert acid.agenda_item == "3" and acid.meeting is not None
        assert acid.meeting.key == "ntf_hr_09"


def test_an_unknown_pipeline_names_its_row_and_nothing_is_loaded(
    loaded: Catalogue, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    before = _state(sessions)
    bad = [*ACID_PUNJAB]
    bad[2] = "no_such_pipeline"
    path = _ninth(tmp_path, CMB_PUNJAB, bad)

    with pytest.raises(DefinitionError) as refused:
        read_decisions(path, pipeline_problem=pipeline_problem(loaded))

    assert refused.value.message.startswith(
        "meeting-09.xlsx decisions row 3: pipeline: no pipeline"
    )
    assert _state(sessions) == before
