"""References and tags stored: loaded from the meeting file, changed, filtered, grouped."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from db import queries, references
from db.engine import transaction
from db.loading import load_meeting
from states.catalogue import Catalogue
from states.meeting import load_meeting_file
from states.references import ReferenceKind, parse_reference
from taskforce.data import BUNDLED_MEETING
from tests.integration.conftest import LOADED_AT

CHILD_MARRIAGE = ["CMB-BALOCHISTAN", "CMB-KP", "CMB-PUNJAB", "FSC-RULING-2023"]


def _keys(
    session: Session, *, ref: str | None = None, tag: str | None = None, jurisdiction: str = ""
) -> list[str]:
    where = queries.CommitmentFilter(ref=ref, tag=tag, jurisdiction=jurisdiction or None)
    return [commitment.key for commitment in queries.list_commitments(session, where)]


def test_the_bundled_meeting_files_the_child_marriage_items_under_sdg_5_3(
    sessions: sessionmaker[Session], loaded: Catalogue
) -> None:
    with transaction(sessions) as session:
        assert _keys(session, ref="sdg:5.3") == CHILD_MARRIAGE
        assert _keys(session, tag="child-marriage") == CHILD_MARRIAGE
        assert _keys(session, ref="sdg:5.3", jurisdiction="punjab") == ["CMB-PUNJAB"]
        assert _keys(session, ref="treaty:CEDAW/C/PAK/CO/5#24", tag="women") == [
            "CSW-BALOCHISTAN",
            "CSW-KP",
            "CSW-PUNJAB",
            "CSW-SINDH",
        ]
        assert _keys(session, ref="nap:HR-12") == ["NAP-HR-12"]
        listed = queries.list_commitments(session, queries.CommitmentFilter(ref="sdg:5.3"))
        assert [ref.text for ref in listed[0].refs] == ["sdg:5.3"]
        assert [tag.tag for tag in listed[0].tags] == ["child-marriage"]

    # Loading again adds nothing and keeps what was filed by hand since.
    with transaction(sessions) as session:
        bill = queries.get_commitment(session, "CMB-PUNJAB")
        references.change(session, bill, add_refs=[parse_reference("upr:4/152.123")])
        report = load_meeting(session, loaded, load_meeting_file(BUNDLED_MEETING), now=LOADED_AT)
        assert not report.changed
    with transaction(sessions) as session:
        labels = references.labels_of(session, queries.get_commitment(session, "CMB-PUNJAB"))
        assert labels.refs == ("sdg:5.3", "upr:4/152.123")


def test_changes_add_and_remove_once_and_progress_is_grouped_by_reference(
    sessions: sessionmaker[Session], loaded: Catalogue
) -> None:
    with transaction(sessions) as session:
        bill = queries.get_commitment(session, "CMB-KP")
        version = bill.version
        change = references.change(
            session,
            bill,
            add_refs=[parse_reference("sdg:5.3"), parse_reference("upr:4/152.123")],
            remove_refs=[parse_reference("sdg:5.3"), parse_reference("nap:HR-1")],
            add_tags=["girls", "child-marriage"],
            remove_tags=["child-marriage"],
        )
        assert change.refs_added == ["upr:4/152.123"]
        assert change.refs_removed == ["sdg:5.3"]
        assert change.tags_added == ["girls"]
        assert change.tags_removed == ["child-marriage"]
    with transaction(sessions) as session:
        bill = queries.get_commitment(session, "CMB-KP")
        assert bill.version == version  # filing is not progress
        assert references.labels_of(session, bill) == references.Labels(
            refs=("upr:4/152.123",), tags=("girls",)
        )
        rows = references.progress_by_reference(
            session, kind=ReferenceKind.SDG, stalled_keys=["CMB-PUNJAB"]
        )
        assert [(r.reference, r.keys, r.open, r.stalled, r.completed) for r in rows] == [
            ("sdg:5.3", ("CMB-BALOCHISTAN", "CMB-PUNJAB", "FSC-RULING-2023"), 3, 1, 0)
        ]
        every = references.progress_by_reference(session, kind=None, stalled_keys=[])
        assert {row.reference for row in every} == {
            "nap:HR-07",
            "nap:HR-12",
            "nap:HR-15",
            "sdg:5.3",
            "treaty:CEDAW/C/PAK/CO/5#24",
            "upr:4/152.123",
        }
