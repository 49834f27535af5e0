"""Remarks and evidence on a real database (SQLite and PostgreSQL).

A remark moves nothing: the stage, its clock, the due time, the stall episode and
the version stay, and the sweep's ladder goes on climbing the same episode. A file
is kept once however often it is attached, and the database refuses to change it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from db import evidence, pipelines, queries, workflow
from db.digest import record_digests
from db.engine import transaction
from db.models import Commitment, EventEvidence, Evidence, OutboxMessage, Person
from db.sweep import SweepReport
from notifications.digest import compose_digest
from notifications.render import Renderer
from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.errors import FieldError, RoleNotAllowedError
from states.evidence import EvidencePolicy, Upload

OFFICER = "women.officer.punjab@example.org"
SECRETARY = "women.secretary.punjab@example.org"
SINDH_OFFICER = "women.officer.sindh@example.org"
CHAIR = "chair@example.org"
CS_PUNJAB = "cs.punjab@example.org"
FIRST_OVERDUE_DAY = datetime(2026, 6, 24, 5, 0, tzinfo=UTC)
REMARKED = datetime(2026, 6, 25, 6, 0, tzinfo=UTC)
SECOND_OVERDUE_DAY = datetime(2026, 6, 29, 5, 0, tzinfo=UTC)
PDF = b"%PDF-1.7\n% the notification of the commission\n%%EOF\n"


def note(
    sessions: sessionmaker[Session],
    key: str,
    actor: str,
    words: str,
    *files: Upload,
    policy: EvidencePolicy | None = None,
) -> workflow.Noted:
    with transaction(sessions) as session:
        return workflow.note(
            session,
            key=key,
            actor_email=actor,
            text=words,
            now=REMARKED,
            attachments=files,
            policy=policy or EvidencePolicy(),
        )


def clock_of(sessions: sessionmaker[Session], key: str) -> tuple[Any, ...]:
    with sessions() as session:
        row = session.scalars(select(Commitment).where(Commitment.key == key)).one()
        return (row.stage, row.stage_entered_at, row.due_at, row.stage_seq, row.version)


def test_a_remark_moves_nothing_and_the_ladder_climbs_the_same_stall(
    loaded: Catalogue,
    sweep: Callable[..., SweepReport],
    sessions: sessionmaker[Session],
    escalations_stored: Callable[..., list[dict[str, Any]]],
) -> None:
    sweep(FIRST_OVERDUE_DAY)
    before = clock_of(sessions, "CSW-PUNJAB")

    noted = note(sessions, "CSW-PUNJAB", OFFICER, "Nominations received from 3 divisions")

    assert clock_of(sessions, "CSW-PUNJAB") == before
    assert (noted.event.kind, noted.event.from_stage, noted.event.to_stage) == (
        "note",
        "nominations_invited",
        "nominations_invited",
    )
    # A secretary of the province may remark too: anyone who can see the item.
    note(sessions, "CSW-PUNJAB", SECRETARY, "Chased the divisions")
    sweep(SECOND_OVERDUE_DAY)
    rungs = [(r["stage_seq"], r["level"]) for r in escalations_stored("CSW-PUNJAB")]
    assert rungs == [(1, 1), (1, 2)]  # the second rung of the same episode, not a new clock
    with sessions() as session:
        assert queries.inconsistent_keys(session) == []


def test_someone_who_cannot_see_the_item_cannot_remark_on_it(
    loaded: Catalogue, sessions: sessionmaker[Session], event_count: Callable[[], int]
) -> None:
    before = event_count()
    with pytest.raises(RoleNotAllowedError, match="belongs to punjab"):
        note(sessions, "CSW-PUNJAB", SINDH_OFFICER, "not mine")
    assert event_count() == before


def test_the_same_file_attached_twice_is_kept_once(
    loaded: Catalogue, sessions: sessionmaker[Session]
) -> None:
    first = note(sessions, "CSW-PUNJAB", OFFICER, "Notification", Upload("notice.pdf", PDF))
    second = note(sessions, "CSW-PUNJAB", SECRETARY, "", Upload("C:\\copies\\same-notice.pdf", PDF))

    (kept,) = first.attachments
    assert second.attachments[0].sha256 == kept.sha256
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 1
        stored = session.get(Evidence, kept.sha256)
        assert stored is not None
        assert (stored.content, stored.media_type, stored.uploaded_by) == (
            PDF,
            "application/pdf",
            OFFICER,
        )
        files = evidence.of_events(session, [first.event.id, second.event.id])
        assert [f.name for f in files[first.event.id]] == ["notice.pdf"]
        assert [f.name for f in files[second.event.id]] == ["same-notice.pdf"]
        found = evidence.download(session, kept.sha256)
        assert found is not None and found.jurisdictions == ("punjab",)
        latest = evidence.latest_notes(session, [first.commitment.id])
        assert latest[first.commitment.id].seq == second.event.seq


@pytest.mark.parametrize(
    ("upload", "policy", "message"),
    [
        (
            Upload("scan.pdf", PDF + b"x" * 2048),
            EvidencePolicy(max_bytes=1024),
            "the file scan.pdf is 2.1 KB; the limit is 1.0 KB",
        ),
        (
            Upload("notice.pdf", b"MZ\x90\x00 a program"),
            EvidencePolicy(),
            "the file notice.pdf is not an accepted kind of file;"
            " accepted: PDF, PNG, JPEG, DOCX, XLSX",
        ),
    ],
    ids=["too-big", "wrong-kind"],
)
def test_a_refused_file_keeps_nothing(
    loaded: Catalogue,
    sessions: sessionmaker[Session],
    event_count: Callable[[], int],
    upload: Upload,
    policy: EvidencePolicy,
    message: str,
) -> None:
    before = event_count()
    with pytest.raises(FieldError) as refused:
        note(sessions, "CSW-PUNJAB", OFFICER, "see attached", upload, policy=policy)
    assert refused.value.message == f"Can't attach to CSW-PUNJAB: {message}"
    assert event_count() == before
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 0
        assert session.scalar(select(func.count()).select_from(EventEvidence)) == 0


@pytest.mark.parametrize(
    "statement",
    ["UPDATE evidence SET size = 0", "DELETE FROM event_evidence"],
)
def test_the_database_refuses_to_change_kept_files(
    loaded: Catalogue, sessions: sessionmaker[Session], statement: str
) -> None:
    note(sessions, "CSW-PUNJAB", OFFICER, "Notification", Upload("notice.pdf", PDF))
    with pytest.raises(DBAPIError, match="append-only"):
        with transaction(sessions) as session:
            session.execute(text(statement))


@pytest.mark.parametrize(("reader", "language"), [(CHAIR, "en"), (CS_PUNJAB, "ur")])
def test_the_next_digest_shows_each_items_latest_remark(
    loaded: Catalogue,
    sweep: Callable[..., SweepReport],
    sessions: sessionmaker[Session],
    reader: str,
    language: str,
) -> None:
    sweep(SECOND_OVERDUE_DAY)
    note(sessions, "CSW-PUNJAB", OFFICER, "Nominations received from 3 divisions")
    note(sessions, "CSW-PUNJAB", SECRETARY, "Shortlisting <committee> meets Thursday")
    with transaction(sessions) as session:
        session.execute(update(Person).where(Person.email == reader).values(language=language))
        record_digests(session, loaded, WorkingCalendar(), now=SECOND_OVERDUE_DAY)

    with sessions() as session:
        message = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "digest", OutboxMessage.recipient_email == reader
            )
        ).one()
        rendered = compose_digest(session, message, Renderer(), base_url="https://t.example.org")
    latest = "Shortlisting <committee> meets Thursday"
    assert latest in rendered.text
    assert "Shortlisting &lt;committee&gt; meets Thursday" in rendered.html
    assert SECRETARY in rendered.text
    assert "Nominations received" not in rendered.text  # only the latest
    assert ("تازہ ترین تبصرہ" if language == "ur" else "latest remark") in rendered.text


def test_a_move_keeps_its_files_and_a_refused_file_refuses_the_move(
    loaded: Catalogue, sessions: sessionmaker[Session]
) -> None:
    with pytest.raises(FieldError, match="not an accepted kind of file"):
        with transaction(sessions) as session:
            workflow.advance(
                session,
                loaded,
                key="CMB-PUNJAB",
                action="send_for_vetting",
                actor_email="law.officer.punjab@example.org",
                now=REMARKED,
                attachments=[Upload("draft.docx", b"PK\x03\x04 not an Office file")],
            )
    assert clock_of(sessions, "CMB-PUNJAB")[0] == "drafting"

    with transaction(sessions) as session:
        moved = workflow.advance(
            session,
            loaded,
            key="CMB-PUNJAB",
            action="send_for_vetting",
            actor_email="law.officer.punjab@example.org",
            now=REMARKED,
            attachments=[Upload("draft bill.pdf", PDF)],
        )
    assert [f.name for f in moved.attachments] == ["draft bill.pdf"]
    with sessions() as session:
        files = evidence.of_events(session, [moved.event.id])
    assert [f.sha256 for f in files[moved.event.id]] == [moved.attachments[0].sha256]
    assert clock_of(sessions, "CMB-PUNJAB")[0] == "law_vetting"


@pytest.fixture
def with_file_field(
    loaded: Catalogue,
    sessions: sessionmaker[Session],
    make_commitment: Callable[..., Commitment],
    tmp_path: Path,
) -> Catalogue:
    """action_task's copy `filed_task`, whose evidence of completion is a file; one started."""
    text = (BUNDLED_PIPELINES / "action_task.yaml").read_text(encoding="utf-8")
    edited = text.replace("key: action_task", "key: filed_task", 1).replace(
        "  evidence:\n    title:\n", "  evidence:\n    kind: file\n    title:\n", 1
    )
    assert "kind: file" in edited
    (tmp_path / "filed_task.yaml").write_text(edited, encoding="utf-8")
    with transaction(sessions) as session:
        pipelines.register(
            session, Catalogue.from_directories([BUNDLED_PIPELINES, tmp_path]), now=REMARKED
        )
        catalogue = pipelines.registered(session)
    make_commitment(
        "NAP-FILE",
        "filed_task",
        "punjab",
        department="women_development",
        officer=OFFICER,
        using=catalogue,
    )
    with transaction(sessions) as session:
        workflow.advance(
            session, catalogue, key="NAP-FILE", action="take_up", actor_email=OFFICER, now=REMARKED
        )
    return catalogue


def report(
    sessions: sessionmaker[Session], catalogue: Catalogue, value: str, *files: Upload
) -> workflow.Advanced:
    with transaction(sessions) as session:
        return workflow.advance(
            session,
            catalogue,
            key="NAP-FILE",
            action="report_completion",
            actor_email=OFFICER,
            fields={"evidence": value},
            now=REMARKED,
            attachments=files,
        )


def test_a_file_field_names_a_file_of_the_move(
    with_file_field: Catalogue, sessions: sessionmaker[Session]
) -> None:
    digest = hashlib.sha256(PDF).hexdigest()
    with pytest.raises(FieldError, match="field evidence must be a file attached with this action"):
        report(sessions, with_file_field, "the report")
    with pytest.raises(FieldError, match="field evidence must be a file attached with this action"):
        report(sessions, with_file_field, digest)  # no such file attached

    moved = report(sessions, with_file_field, digest.upper(), Upload("report.pdf", PDF))

    assert moved.commitment.stage == "completion_reported"
    assert moved.commitment.fields["evidence"] == digest
    assert [f.sha256 for f in moved.attachments] == [digest]


def test_a_file_field_may_name_a_file_kept_with_an_earlier_remark(
    with_file_field: Catalogue, sessions: sessionmaker[Session]
) -> None:
    note(sessions, "NAP-FILE", OFFICER, "the report, signed", Upload("report.pdf", PDF))

    moved = report(sessions, with_file_field, hashlib.sha256(PDF).hexdigest())

    assert moved.commitment.stage == "completion_reported"
    assert moved.attachments == ()
