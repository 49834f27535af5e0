"""Remarks and evidence files: who may remark, what text, and which files are kept."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime

import pytest

from states import remarks
from states.actors import Actor, Role
from states.definition import FieldKind, FieldSpec
from states.errors import CommentRequiredError, FieldError, RoleNotAllowedError
from states.evidence import (
    EvidencePolicy,
    FileKind,
    Upload,
    check,
    clean_name,
    sniff,
    unattached,
)
from states.rules import CommitmentState, EventKind, Status, normalize_field

NOW = datetime(2026, 6, 29, 5, 0, tzinfo=UTC)
STATE = CommitmentState(
    key="CMB-PUNJAB",
    pipeline="provincial_bill",
    pipeline_version=1,
    jurisdiction="punjab",
    stage="drafting",
    status=Status.OPEN,
    stage_entered_at=NOW,
)
OFFICER = Actor(email="law.officer.punjab@example.org", role=Role.OFFICER, jurisdiction="punjab")
SINDH = Actor(email="law.officer.sindh@example.org", role=Role.OFFICER, jurisdiction="sindh")
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 20


def office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


def test_a_remark_is_a_note_event_in_the_current_stage_that_moves_nothing() -> None:
    event = remarks.note(STATE, OFFICER, text="  Summary sent to Law  ", now=NOW)
    assert event.kind is EventKind.NOTE
    assert (event.from_stage, event.to_stage) == ("drafting", "drafting")
    assert event.comment == "Summary sent to Law"
    assert event.actor_email == OFFICER.email


def test_a_closed_item_still_takes_remarks() -> None:
    closed = CommitmentState(**{**STATE.__dict__, "status": Status.COMPLETED, "stage": "enacted"})
    assert remarks.note(closed, OFFICER, text="Gazette published", now=NOW).to_stage == "enacted"


def test_only_those_who_can_see_the_item_may_remark() -> None:
    with pytest.raises(RoleNotAllowedError, match="belongs to punjab"):
        remarks.note(STATE, SINDH, text="hello", now=NOW)


def test_a_remark_needs_text_unless_files_come_with_it() -> None:
    with pytest.raises(CommentRequiredError, match="has no text"):
        remarks.note(STATE, OFFICER, text="   ", now=NOW)
    assert remarks.note(STATE, OFFICER, text="", now=NOW, with_files=True).comment is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [("x" * 4001, "the limit is 4000"), ("a\x00b", "control character (U+0000")],
)
def test_a_remark_follows_the_comment_text_rule(text: str, problem: str) -> None:
    with pytest.raises(FieldError, match=re.escape(problem)) as raised:
        remarks.note(STATE, OFFICER, text=text, now=NOW)
    assert raised.value.fields == ("text",)


def test_multi_line_remarks_are_kept() -> None:
    assert remarks.note(STATE, OFFICER, text="one\r\ntwo", now=NOW).comment == "one\r\ntwo"


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, FileKind.PDF),
        (PNG, FileKind.PNG),
        (JPEG, FileKind.JPEG),
        (office("word/document.xml"), FileKind.DOCX),
        (office("xl/workbook.xml"), FileKind.XLSX),
        (b"MZ\x90\x00 an executable", None),
        (b"PK\x03\x04 not really a zip", None),
        (office("something/else.xml"), None),
        (b"<html><script>", None),
    ],
)
def test_the_kind_comes_from_the_content(content: bytes, kind: FileKind | None) -> None:
    assert sniff(content) is kind


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("notification.pdf", "notification.pdf"),
        ("C:\\scans\\notification.pdf", "notification.pdf"),
        ("../../etc/passwd", "passwd"),
        ('a"b\r\nSet-Cookie: x.pdf', "abSet-Cookie: x.pdf"),
        ("\u202efdp.exe", "fdp.exe"),
        ("nul\u0000led.pdf", "nulled.pdf"),
        ("...", "file"),
        ("", "file"),
        ("n" * 300 + ".pdf", "n" * 196 + ".pdf"),
    ],
)
def test_names_are_cleaned(given: str, kept: str) -> None:
    assert clean_name(given) == kept


def test_an_accepted_file_has_its_hash_kind_and_clean_name() -> None:
    (file,) = check(
        [Upload("scans/notice.pdf", PDF)], EvidencePolicy(), key="K", stage="s", action="note"
    )
    assert (file.name, file.kind, file.size) == ("notice.pdf", FileKind.PDF, len(PDF))
    assert file.media_type == "application/pdf"
    assert len(file.sha256) == 64


def test_a_file_past_the_limit_is_refused_naming_the_limit() -> None:
    policy = EvidencePolicy(max_bytes=1024 * 1024)
    big = Upload("scan.pdf", PDF, full_size=3 * 1024 * 1024)
    with pytest.raises(FieldError) as raised:
        check([big], policy, key="CMB-PUNJAB", stage="drafting", action="note")
    assert raised.value.message == (
        "Can't attach to CMB-PUNJAB: the file scan.pdf is 3.0 MB; the limit is 1.0 MB"
    )
    assert raised.value.fields == ("attachments",)


def test_a_file_of_a_kind_not_allowed_is_refused_naming_the_kinds() -> None:
    policy = EvidencePolicy(kinds=frozenset({FileKind.PDF, FileKind.PNG}))
    with pytest.raises(
        FieldError, match=r"photo\.pdf is not an accepted kind of file; accepted: PDF, PNG"
    ):
        check([Upload("photo.pdf", JPEG)], policy, key="K", stage="s", action="note")
    with pytest.raises(FieldError, match="empty"):
        check([Upload("blank.pdf", b"")], policy, key="K", stage="s", action="note")


def test_a_file_field_holds_a_sha256() -> None:
    spec = FieldSpec(title="Notification", kind=FieldKind.FILE)
    digest = "AB" * 32
    assert normalize_field(spec, digest) == (None, digest.lower())
    assert normalize_field(spec, "notification.pdf")[0] == (
        "must be a file attached with this action"
    )


def test_a_file_field_must_name_a_kept_file() -> None:
    specs = {
        "notification": FieldSpec(title="Notification", kind=FieldKind.FILE),
        "number": FieldSpec(title="Number"),
    }
    kept = {"a" * 64}
    given = {"notification": "b" * 64, "number": "c" * 64}
    assert unattached(specs, given, kept) == {
        "notification": "must be a file attached with this action"
    }
    assert unattached(specs, {"notification": "A" * 64}, kept) == {}
    assert unattached(specs, {"notification": " "}, kept) == {}  # blank: the rule says missing
