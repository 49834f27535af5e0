"""A later meeting file: decisions already under way loaded at their stage, decisions restated."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db import continuity, queries
from db.engine import transaction
from db.loading import LoadReport, load_meeting, start_of_day
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.errors import TaskforceError
from states.meeting import load_meeting_file

LOADED_9TH = datetime(2026, 9, 11, 5, 0, tzinfo=UTC)
NINTH = """\
meeting:
  key: ntf_hr_09
  title: 9th meeting of the National Task Force on Human Rights
  held_on: 2026-09-10
commitments:
  - key: CMB-PUNJAB
    title: Enact a child marriage restraint law in Punjab setting the minimum marriage age at 18
    pipeline: provincial_bill
    jurisdiction: punjab
    department: law
    officer: law.officer.punjab@example.org
    deadline: 2027-03-31
  - key: CMB-ICT-2
    title: A bill already in the assembly when the task force took it up
    pipeline: provincial_bill
    jurisdiction: punjab
    department: law
    officer: law.officer.punjab@example.org
    start: 2026-08-20
    stage: {stage}
    stage_entered: 2026-09-01
    fields:
      bill_number: Bill No. 30 of 2026
      introduced_on: 2026-09-01
"""


def load(
    sessions: sessionmaker[Session], catalogue: Catalogue, tmp_path: Path, stage: str = "introduced"
) -> LoadReport:
    path = tmp_path / "meeting-09.yaml"
    path.write_text(NINTH.replace("{stage}", stage), encoding="utf-8")
    with transaction(sessions) as session:
        return load_meeting(session, catalogue, load_meeting_file(path), now=LOADED_9TH)


def record(sessions: sessionmaker[Session], key: str) -> dict[str, Any]:
    with sessions() as session:
        commitment = queries.get_commitment(session, key)
        return {
            "stage": commitment.stage,
            "deadline": commitment.deadline,
            "due_at": commitment.due_at,
            "stage_entered_at": commitment.stage_entered_at,
            "fields": dict(commitment.fields),
            "meetings": [m.key for m in continuity.meetings_of(session, commitment)],
            "events": [
                (e.kind, e.at, e.effective_at, e.actor_email, dict(e.fields))
                for e in queries.history(session, commitment)
            ],
        }


def test_a_9th_meeting_restating_cmb_punjab_with_a_new_deadline_amends_it_once(
    loaded: Catalogue, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    before = record(sessions, "CMB-PUNJAB")

    report = load(sessions, loaded, tmp_path)
    after = record(sessions, "CMB-PUNJAB")
    again = load(sessions, loaded, tmp_path)

    assert (report.commitments_reiterated, report.commitments_amended) == (
        ["CMB-PUNJAB"],
        ["CMB-PUNJAB"],
    )
    assert after["deadline"] == date(2027, 3, 31)
    assert after["meetings"] == ["ntf_hr_08", "ntf_hr_09"]
    assert after["events"][: len(before["events"])] == before["events"]
    added = after["events"][len(before["events"]) :]
    assert [(kind, fields) for kind, _, _, _, fields in added] == [
        ("reiterated", {"meeting": "ntf_hr_09"}),
        (
            "amended",
            {
                "meeting": "ntf_hr_09",
                "changed": "deadline",
                "from": before["deadline"].isoformat(),
                "to": "2027-03-31",
            },
        ),
    ]
    assert {(at, actor) for _, at, _, actor, _ in added} == {(LOADED_9TH, "system")}
    # Loading the same file again changes nothing.
    assert not again.changed and again.commitments_kept == ["CMB-PUNJAB", "CMB-ICT-2"]
    assert record(sessions, "CMB-PUNJAB") == after


def test_a_decision_under_way_is_loaded_at_its_stage_with_the_clock_from_that_date(
    loaded: Catalogue, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    load(sessions, loaded, tmp_path)

    item = record(sessions, "CMB-ICT-2")
    entered = start_of_day(date(2026, 9, 1))
    assert item["stage"] == "introduced" and item["stage_entered_at"] == entered
    assert item["fields"] == {"bill_number": "Bill No. 30 of 2026", "introduced_on": "2026-09-01"}
    assert [(kind, at, effective) for kind, at, effective, _, _ in item["events"]] == [
        ("created", start_of_day(date(2026, 8, 20)), start_of_day(date(2026, 8, 20))),
        ("loaded", LOADED_9TH, entered),
    ]
    limit = loaded.latest("provincial_bill").stage("introduced").time_limit
    assert limit is not None
    assert item["due_at"] == WorkingCalendar().due_at(entered, limit, "punjab")


@pytest.mark.parametrize(
    ("stage", "says"),
    [
        pytest.param("enacted", "stage 'enacted' ends the commitment", id="terminal"),
        pytest.param("nowhere", "stage 'nowhere' is not a stage of provincial_bill", id="unknown"),
        pytest.param("passed", "stage 'passed' needs the field passed_on", id="field-missing"),
    ],
)
def test_a_stage_the_pipeline_cannot_start_at_is_refused_and_nothing_is_loaded(
    loaded: Catalogue, sessions: sessionmaker[Session], tmp_path: Path, stage: str, says: str
) -> None:
    before = record(sessions, "CMB-PUNJAB")

    with pytest.raises(TaskforceError, match=f"CMB-ICT-2: {says}"):
        load(sessions, loaded, tmp_path, stage=stage)

    assert record(sessions, "CMB-PUNJAB") == before


SUPERSEDING = """\
meeting:
  key: ntf_hr_09
  title: 9th meeting of the National Task Force on Human Rights
  held_on: 2026-09-10
commitments:
  - key: CMB-KP
    title: Enact a child marriage restraint law in Khyber Pakhtunkhwa
    pipeline: provincial_bill
    jurisdiction: khyber_pakhtunkhwa
    department: law
    superseded_by: CMB-KP-2
  - key: CMB-KP-2
    title: Amend the Khyber Pakhtunkhwa child marriage restraint law instead
    pipeline: provincial_bill
    jurisdiction: khyber_pakhtunkhwa
    department: law
"""


def test_a_superseded_decision_is_withdrawn_once_naming_its_successor(
    loaded: Catalogue, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "meeting-09.yaml"
    path.write_text(SUPERSEDING, encoding="utf-8")

    def load_it() -> LoadReport:
        with transaction(sessions) as session:
            return load_meeting(session, loaded, load_meeting_file(path), now=LOADED_9TH)

    first = load_it()
    after = record(sessions, "CMB-KP")
    again = load_it()

    assert first.commitments_superseded == ["CMB-KP"]
    assert first.commitments_added == ["CMB-KP-2"]
    assert after["stage"] == "withdrawn"
    kind, at, _, actor, fields = after["events"][-1]
    assert (kind, at, actor) == ("superseded", LOADED_9TH, "system")
    assert fields == {"meeting": "ntf_hr_09", "superseded_by": "CMB-KP-2"}
    assert not again.changed
    assert record(sessions, "CMB-KP") == after
