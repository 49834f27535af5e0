"""The board's sheet upload (issue 13): a Punjab secretary downloads the sheet, fills it with
openpyxl, uploads it, sees a preview that applies nothing, and applies it once.

Runs on SQLite and PostgreSQL (the `site` fixture). The refusals (not a sheet, another
province's sheet, a garbage cell, no sign-in, the wrong role, a hash the server never
kept) come back as pages with the reason and the right status, and change nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from db import sheets as sheet_store
from db import workflow
from db.engine import transaction
from db.models import Commitment, Event
from states import sheets
from taskforce.sheets import workbook
from taskforce.web.sheet_uploads import KEEP_FOR, PendingSheets
from tests.web.conftest import WEB_NOW, Site, csrf_of

SECRETARY = "hr.secretary.punjab@example.org"
LAHORE_OFFICER = "hr.officer.lahore@example.org"
OFFICER = "hr.officer.punjab@example.org"
HAPPENED = date(2026, 7, 20)
PAKISTAN = ZoneInfo("Asia/Karachi")
HASH_INPUT = re.compile(r'name="sha256" value="([0-9a-f]{64})"')
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _event_count(site: Site) -> int:
    with transaction(site.installation.sessions) as session:
        return int(session.scalar(select(func.count(Event.id))) or 0)


def _fill(content: bytes, cells: dict[str, dict[str, Any]]) -> bytes:
    """The sheet with each key's row filled as given (column name -> value)."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    page = book.active
    assert page is not None
    column = {cell.value: n for n, cell in enumerate(page[1], start=1)}
    row_of = {str(page.cell(n, 1).value): n for n in range(2, page.max_row + 1)}
    for key, values in cells.items():
        for name, value in values.items():
            page.cell(row_of[key], column[name]).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(client: TestClient, content: bytes, name: str = "punjab-filled.xlsx") -> Any:
    return client.post(
        "/board/sheet",
        data={"csrf_token": csrf_of(client, "/board")},
        files={"sheet": (name, content, XLSX)},
    )


def _row_numbers(content: bytes) -> dict[str, int]:
    page = openpyxl.load_workbook(io.BytesIO(content)).active
    assert page is not None
    return {str(page.cell(n, 1).value): n for n in range(2, page.max_row + 1)}


def _move_lahore(site: Site) -> None:
    """The Lahore committee moves after the sheet was downloaded: its row becomes stale."""
    app = site.installation
    with transaction(app.sessions) as session:
        workflow.advance(
            session,
            app.catalogue,
            key="DHRC-PUNJAB-LAHORE",
            action="nominate_members",
            actor_email=LAHORE_OFFICER,
            fields={"members": "5"},
            now=WEB_NOW - timedelta(hours=1),
        )


def test_a_filled_sheet_is_previewed_then_applied_once_as_the_viewer(site: Site) -> None:
    client = site.browser(SECRETARY)
    board = client.get("/board").text
    assert 'action="/board/sheet"' in board and 'enctype="multipart/form-data"' in board
    downloaded = client.get("/board/sheet.xlsx").content
    _move_lahore(site)
    filled = _fill(
        downloaded,
        {
            "PTF-PUNJAB": {
                sheets.ACTION: "record_meeting",
                sheets.VALUES: "quarter=Q3 2026; meeting_on=2026-07-20; minutes_reference=PTF-P/07",
                sheets.HAPPENED_ON: HAPPENED,
            },
            "DHRC-PUNJAB": {sheets.REMARK: "Committees met in 30 of 36 districts"},
            "DHRC-PUNJAB-LAHORE": {sheets.REMARK: "Lahore committee met twice"},
        },
    )
    rows = _row_numbers(filled)
    before = _event_count(site)

    preview = _upload(client, filled)

    assert preview.status_code == 200, preview.text[:2000]
    assert "2 changes, 1 conflicts, 0 rows with problems" in preview.text
    assert "Apply 2 changes" in preview.text
    assert "Committees met in 30 of 36 districts" in preview.text
    assert "dated 2026-07-20" in preview.text
    # The stage PTF-PUNJAB would move to.
    assert "Met this quarter; next meeting due" in preview.text
    # The stale row: its version in the sheet and now.
    assert re.search(r"DHRC-PUNJAB-LAHORE</a></td><td>[^<]*</td><td>1</td><td>2</td>", preview.text)
    assert _event_count(site) == before  # a preview applies nothing
    found = HASH_INPUT.search(preview.text)
    assert found and found.group(1) == hashlib.sha256(filled).hexdigest()
    confirm = {"csrf_token": csrf_of(client, "/board"), "sha256": found.group(1)}

    applied = client.post("/board/sheet/apply", data=confirm)

    assert applied.status_code == 303
    assert applied.headers["location"] == "/board/sheet/result"
    result = client.get("/board/sheet/result")
    assert result.status_code == 200
    assert "2 changes applied from punjab-filled.xlsx." in result.text
    assert "1 row was not applied: its item changed" in result.text
    with transaction(site.installation.sessions) as session:
        added = session.execute(
            select(Commitment.key, Event.kind, Event.to_stage, Event.actor_email)
            .add_columns(Event.comment, Event.effective_at)
            .join(Commitment, Commitment.id == Event.commitment_id)
            .order_by(Event.id)
            .offset(before)
        ).all()
    assert [(e.key, e.kind, e.to_stage, e.actor_email, e.comment) for e in added] == [
        (
            "DHRC-PUNJAB",
            "note",
            "notified",
            SECRETARY,
            "Committees met in 30 of 36 districts"
            f" (from sheet punjab-filled.xlsx row {rows['DHRC-PUNJAB']})",
        ),
        (
            "PTF-PUNJAB",
            "transition",
            "meeting_held",
            SECRETARY,
            f"From sheet punjab-filled.xlsx row {rows['PTF-PUNJAB']}",
        ),
    ]
    assert added[1].effective_at.astimezone(PAKISTAN).date() == HAPPENED

    again = client.post("/board/sheet/apply", data=confirm)

    assert again.status_code == 409
    assert "no longer waiting" in again.text
    assert _event_count(site) == before + 2


def test_what_cannot_be_applied_is_said_on_the_page_and_changes_nothing(site: Site) -> None:
    client = site.browser(SECRETARY)
    downloaded = client.get("/board/sheet.xlsx").content
    before = _event_count(site)

    not_a_sheet = _upload(client, b"%PDF-1.4 a scanned letter", name="letter.pdf")
    assert not_a_sheet.status_code == 422
    assert "the file letter.pdf is not an XLSX workbook" in not_a_sheet.text
    assert "Traceback" not in not_a_sheet.text

    garbage = _upload(client, _fill(downloaded, {"CSW-PUNJAB": {sheets.HAPPENED_ON: "1st July"}}))
    assert garbage.status_code == 422
    row = _row_numbers(downloaded)["CSW-PUNJAB"]
    assert f"<td>{row}</td><td>CSW-PUNJAB</td><td>the date &#39;1st July&#39; is not a date" in (
        garbage.text
    )
    assert "Apply " not in garbage.text and 'name="sha256"' not in garbage.text

    with transaction(site.installation.sessions) as session:
        sindh = sheet_store.lines(session, site.installation.catalogue, "sindh")
    sindh_sheet = workbook(sindh, scope="sindh", made_at=WEB_NOW)
    other = _upload(client, _fill(sindh_sheet, {sindh[0].key: {sheets.REMARK: "Seen"}}))
    assert other.status_code == 422
    assert f"Can&#39;t add a remark to {sindh[0].key}: it belongs to sindh" in other.text

    stranger = site.anonymous()
    refused = stranger.post(
        "/board/sheet",
        data={"csrf_token": csrf_of(stranger, "/sign-in")},
        files={"sheet": ("punjab.xlsx", downloaded, XLSX)},
    )
    assert refused.status_code == 303 and refused.headers["location"].startswith("/sign-in")
    officer = site.browser(OFFICER)
    wrong_role = officer.post(
        "/board/sheet",
        data={"csrf_token": csrf_of(officer, "/items")},
        files={"sheet": ("punjab.xlsx", downloaded, XLSX)},
    )
    assert wrong_role.status_code == 403
    # A hash the server never kept for this person is applied as nothing.
    forged = client.post(
        "/board/sheet/apply",
        data={"csrf_token": csrf_of(client, "/board"), "sha256": "0" * 64},
    )
    assert forged.status_code == 409
    assert _event_count(site) == before
    kept = site.installation.settings.data_dir / "sheet-uploads"
    assert not kept.exists() or not any(kept.rglob("*.xlsx"))


def test_a_row_that_cannot_be_applied_is_said_in_urdu_on_an_urdu_page(site: Site) -> None:
    client = site.browser(SECRETARY)
    client.post(
        "/preferences/language",
        data={"language": "ur", "next": "/board", "csrf_token": csrf_of(client, "/board")},
    )
    downloaded = client.get("/board/sheet.xlsx").content
    garbage = _upload(client, _fill(downloaded, {"CSW-PUNJAB": {sheets.HAPPENED_ON: "1st July"}}))
    assert garbage.status_code == 422
    # "the date '1st July' is not a date (write it as 2026-11-20)", in Urdu.
    assert "درست تاریخ نہیں" in garbage.text and "is not a date" not in garbage.text
    assert "1st July" in garbage.text


def test_a_waiting_sheet_is_taken_once_only_by_its_uploader_and_only_unchanged(
    tmp_path: Path,
) -> None:
    store = PendingSheets(tmp_path)
    sha256 = store.keep(7, name="punjab.xlsx", content=b"sheet bytes")

    assert store.claim(8, sha256) is None  # someone else's upload
    taken = store.claim(7, sha256)
    assert taken is not None and (taken.name, taken.content) == ("punjab.xlsx", b"sheet bytes")
    assert store.claim(7, sha256) is None  # taken once

    changed = store.keep(7, name="punjab.xlsx", content=b"sheet bytes")
    (tmp_path / "7" / changed / "punjab.xlsx").write_bytes(b"other bytes")
    assert store.claim(7, changed) is None  # the bytes no longer match what was previewed
    assert store.claim(7, "../../etc") is None


def test_a_new_upload_replaces_the_earlier_and_old_ones_are_swept(tmp_path: Path) -> None:
    store = PendingSheets(tmp_path)
    first = store.keep(7, name="a.xlsx", content=b"first")
    second = store.keep(7, name="b.xlsx", content=b"second")
    assert store.claim(7, first) is None
    old = store.keep(9, name="c.xlsx", content=b"old")
    store.record_result(9, {"kept": True})
    long_ago = time.time() - KEEP_FOR.total_seconds() - 60
    for path in (tmp_path / "9" / old, tmp_path / "9" / "result.json"):
        os.utime(path, (long_ago, long_ago))

    store.sweep()

    assert store.last_result(9) is None
    assert store.claim(9, old) is None
    assert store.claim(7, second) is not None
