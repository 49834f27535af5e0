"""Loading meeting files: everything or nothing, and the same file twice changes nothing."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db import queries
from db.engine import transaction
from db.loading import LoadReport, load_meeting, start_of_day
from db.models import Commitment, Event, Meeting, Person
from states.catalogue import Catalogue
from states.errors import NotFoundError, TaskforceError
from states.meeting import load_meeting_file
from taskforce.data import BUNDLED_MEETING

Advance = Callable[..., Any]
Stored = Callable[..., dict[str, Any]]

LATER = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
COUNTED = (Person, Meeting, Commitment, Event)


def row_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in COUNTED
        }


@pytest.fixture
def load(sessions: sessionmaker[Session], catalogue: Catalogue) -> Callable[[Path], LoadReport]:
    """Load a meeting file in one transaction, as `taskforce load FILE` does."""

    def run(path: Path) -> LoadReport:
        meeting = load_meeting_file(path)
        with transaction(sessions) as session:
            return load_meeting(session, catalogue, meeting, now=LATER)

    return run


@pytest.fixture
def meeting_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write a meeting file from YAML text (dedented) and return its path."""
    written = iter(range(100))

    def write(text: str) -> Path:
        path = tmp_path / f"meeting-{next(written)}.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


# The bundled meeting already has a District Human Rights Committee in every district of
# the four provinces; the capital territory's is left for a later meeting to add.
NINTH_MEETING = """\
    meeting:
      key: ntf_hr_09
      title: 9th meeting of the National Task Force on Human Rights
      held_on: 2026-09-15
    people:
      - email: hr.officer.islamabad@example.org
        name: Islamabad Officer
        role: officer
        jurisdiction: islamabad
        department: human_rights
    commitments:
      - key: DHRC-ISLAMABAD
        title: Make the District Human Rights Committee in Islamabad Capital Territory operational
        pipeline: committee_activation
        jurisdiction: islamabad/islamabad
        department: human_rights
        officer: hr.officer.islamabad@example.org
        parent: DHRC-NATIONAL
"""


def test_loading_the_bundled_meeting_creates_its_people_and_commitments(
    catalogue: Catalogue,
    load: Callable[[Path], LoadReport],
    sessions: sessionmaker[Session],
    stored: Stored,
) -> None:
    report = load(BUNDLED_MEETING)

    assert report.changed
    # 24 commitments written out, and 142 District Human Rights Committees made by
    # each_district: Punjab's 41 districts but Lahore (written out), Sindh's 30,
    # Khyber Pakhtunkhwa's 36 and Balochistan's 36.
    assert (len(report.people_added), len(report.commitments_added)) == (43, 166)
    assert (report.people_updated, report.commitments_kept) == ([], [])
    assert row_counts(sessions) == {"people": 43, "meetings": 1, "commitments": 166, "events": 166}
    with sessions() as session:
        bill = queries.get_commitment(session, "CMB-PUNJAB")
        assert bill.officer is not None and bill.officer.email == "law.officer.punjab@example.org"
        assert bill.title.startswith("Enact a child marriage restraint law in Punjab")
        assert bill.title_ur is not None and bill.title_ur.startswith("پنجاب میں شادی")
        assert bill.meeting is not None and bill.meeting.key == "ntf_hr_08"
        assert (bill.start_date, bill.deadline) == (date(2026, 6, 12), date(2026, 12, 12))
        assert bill.stage_entered_at == start_of_day(date(2026, 6, 12))
        assert queries.parent_key(session, bill) is None
        lahore = queries.get_commitment(session, "DHRC-PUNJAB-LAHORE")
        assert queries.parent_key(session, lahore) == "DHRC-PUNJAB"
        national = queries.get_commitment(session, "DHRC-NATIONAL")
        assert [c.key for c in queries.children(session, national)] == [
            "DHRC-BALOCHISTAN",
            "DHRC-KP",
            "DHRC-PUNJAB",
            "DHRC-SINDH",
        ]
        districts = {
            key: len(queries.children(session, queries.get_commitment(session, key)))
            for key in ("DHRC-PUNJAB", "DHRC-SINDH", "DHRC-KP", "DHRC-BALOCHISTAN")
        }
        assert districts == {
            "DHRC-PUNJAB": 41,
            "DHRC-SINDH": 30,
            "DHRC-KP": 36,
            "DHRC-BALOCHISTAN": 36,
        }
        # Lahore keeps its own officer; a district made from the template has none yet
        # (its deputy commissioner acts), and is titled in English and Urdu.
        assert lahore.officer is not None
        assert lahore.officer.email == "hr.officer.lahore@example.org"
        multan = queries.get_commitment(session, "DHRC-PUNJAB-MULTAN")
        assert queries.parent_key(session, multan) == "DHRC-PUNJAB"
        assert (multan.jurisdiction, multan.officer) == ("punjab/multan", None)
        assert multan.title == "Make the District Human Rights Committee in Multan operational"
        assert multan.title_ur == "ملتان کی ضلعی انسانی حقوق کمیٹی کو فعال کیا جائے"
        assert queries.inconsistent_keys(session) == []
    assert stored("CMB-PUNJAB")["history"][0]["actor"] == "system"


def test_loading_the_same_meeting_again_changes_nothing(
    loaded: Catalogue,
    load: Callable[[Path], LoadReport],
    advance: Advance,
    sessions: sessionmaker[Session],
    stored: Stored,
) -> None:
    advance("CMB-PUNJAB", "send_for_vetting", "law.officer.punjab@example.org")
    counts, bill = row_counts(sessions), stored("CMB-PUNJAB")

    report = load(BUNDLED_MEETING)

    assert not report.changed
    assert (report.people_added, report.people_updated, report.commitments_added) == ([], [], [])
    assert len(report.commitments_kept) == 166
    assert row_counts(sessions) == counts
    # Progress made since the first load is kept, not reset to the initial stage.
    assert stored("CMB-PUNJAB") == bill
    assert bill["stage"] == "law_vetting"


def test_a_changed_person_is_updated_on_reload(
    loaded: Catalogue,
    load: Callable[[Path], LoadReport],
    meeting_file: Callable[[str], Path],
    sessions: sessionmaker[Session],
) -> None:
    text = BUNDLED_MEETING.read_text(encoding="utf-8").replace(
        "name: Kamran Aslam", "name: Kamran Aslam Chaudhry"
    )
    path = meeting_file(text)
    counts = row_counts(sessions)

    report = load(path)

    assert report.changed
    assert report.people_updated == ["law.officer.punjab@example.org"]
    assert (report.people_added, report.commitments_added) == ([], [])
    assert row_counts(sessions) == counts
    with sessions() as session:
        person = session.scalars(
            select(Person).where(Person.email == "law.officer.punjab@example.org")
        ).one()
        assert person.name == "Kamran Aslam Chaudhry"


@pytest.mark.parametrize(
    ("problem", "error", "says"),
    [
        pytest.param(
            "officer: nobody@example.org",
            NotFoundError,
            "NAP-HR-20: officer nobody@example.org is neither in this file's people",
            id="unknown-officer",
        ),
        pytest.param(
            "pipeline: constitutional_amendment",
            NotFoundError,
            "NAP-HR-20: no pipeline 'constitutional_amendment'; known pipelines: action_task",
            id="unknown-pipeline",
        ),
        pytest.param(
            "officer: sindh.officer@example.org",
            TaskforceError,
            "NAP-HR-20: officer sindh.officer@example.org acts for sindh and cannot hold an"
            " item of punjab",
            id="officer-of-another-province",
        ),
    ],
)
def test_a_meeting_file_with_a_bad_commitment_writes_nothing(
    catalogue: Catalogue,
    load: Callable[[Path], LoadReport],
    meeting_file: Callable[[str], Path],
    sessions: sessionmaker[Session],
    problem: str,
    error: type[TaskforceError],
    says: str,
) -> None:
    bad = {"officer": "officer: punjab.officer@example.org", "pipeline": "pipeline: action_task"}
    bad[problem.partition(":")[0]] = problem
    path = meeting_file(
        f"""\
        meeting:
          key: ntf_hr_10
          title: 10th meeting
          held_on: 2026-10-01
        people:
          - email: punjab.officer@example.org
            name: Punjab Officer
            role: officer
            jurisdiction: punjab
            department: human_rights
          - email: sindh.officer@example.org
            name: Sindh Officer
            role: officer
            jurisdiction: sindh
            department: human_rights
        commitments:
          - key: NAP-HR-19
            title: A commitment that is fine
            pipeline: action_task
            jurisdiction: punjab
            department: human_rights
            officer: punjab.officer@example.org
          - key: NAP-HR-20
            title: A commitment that is not
            {bad["pipeline"]}
            jurisdiction: punjab
            department: human_rights
            {bad["officer"]}
        """
    )

    with pytest.raises(error) as refused:
        load(path)

    assert refused.value.message.startswith(says)
    assert row_counts(sessions) == {"people": 0, "meetings": 0, "commitments": 0, "events": 0}


def test_a_later_meeting_can_add_a_child_to_an_existing_commitment(
    loaded: Catalogue,
    load: Callable[[Path], LoadReport],
    meeting_file: Callable[[str], Path],
    sessions: sessionmaker[Session],
    stored: Stored,
) -> None:
    counts = row_counts(sessions)
    parent_before = stored("DHRC-NATIONAL")

    report = load(meeting_file(NINTH_MEETING))

    assert report.commitments_added == ["DHRC-ISLAMABAD"]
    assert report.people_added == ["hr.officer.islamabad@example.org"]
    assert row_counts(sessions) == {
        "people": counts["people"] + 1,
        "meetings": counts["meetings"] + 1,
        "commitments": counts["commitments"] + 1,
        "events": counts["events"] + 1,
    }
    with sessions() as session:
        capital = queries.get_commitment(session, "DHRC-ISLAMABAD")
        assert queries.parent_key(session, capital) == "DHRC-NATIONAL"
        assert capital.meeting is not None and capital.meeting.key == "ntf_hr_09"
        assert capital.start_date == date(2026, 9, 15)
        parent = queries.get_commitment(session, "DHRC-NATIONAL")
        assert [c.key for c in queries.children(session, parent)] == [
            "DHRC-BALOCHISTAN",
            "DHRC-ISLAMABAD",
            "DHRC-KP",
            "DHRC-PUNJAB",
            "DHRC-SINDH",
        ]
    # The parent itself is untouched by gaining a child.
    assert stored("DHRC-NATIONAL") == parent_before
    assert not load(meeting_file(NINTH_MEETING)).changed


def test_a_child_may_be_held_by_an_officer_loaded_earlier(
    loaded: Catalogue,
    load: Callable[[Path], LoadReport],
    meeting_file: Callable[[str], Path],
    sessions: sessionmaker[Session],
) -> None:
    text = NINTH_MEETING.replace("officer: hr.officer.islamabad", "officer: hr.officer.federal")
    text = text[: text.index("    people:")] + text[text.index("    commitments:") :]

    report = load(meeting_file(text))

    assert (report.people_added, report.commitments_added) == ([], ["DHRC-ISLAMABAD"])
    with sessions() as session:
        capital = queries.get_commitment(session, "DHRC-ISLAMABAD")
        assert capital.officer is not None
        assert capital.officer.email == "hr.officer.federal@example.org"


def test_a_child_of_an_unknown_parent_is_refused(
    loaded: Catalogue,
    load: Callable[[Path], LoadReport],
    meeting_file: Callable[[str], Path],
    sessions: sessionmaker[Session],
) -> None:
    counts = row_counts(sessions)

    with pytest.raises(NotFoundError, match="no commitment 'DHRC-GILGIT'"):
        load(meeting_file(NINTH_MEETING.replace("parent: DHRC-NATIONAL", "parent: DHRC-GILGIT")))

    assert row_counts(sessions) == counts


def test_a_child_of_a_closed_parent_is_refused(
    loaded: Catalogue,
    load: Callable[[Path], LoadReport],
    advance: Advance,
    meeting_file: Callable[[str], Path],
    sessions: sessionmaker[Session],
) -> None:
    advance("PTF-PUNJAB", "discontinue", "cs.punjab@example.org", comment="merged into DHRCs")
    counts = row_counts(sessions)

    with pytest.raises(
        TaskforceError,
        match="can't add DHRC-ISLAMABAD under PTF-PUNJAB: PTF-PUNJAB is already withdrawn",
    ):
        load(meeting_file(NINTH_MEETING.replace("parent: DHRC-NATIONAL", "parent: PTF-PUNJAB")))

    assert row_counts(sessions) == counts
