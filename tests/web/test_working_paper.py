"""The working paper: its rows from the database, and the files read back with their own libraries.

On the bundled meeting at the web tests' fixed clock, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import docx
import openpyxl
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn

from db import matrix, workflow
from db.engine import transaction
from notifications import working_paper
from notifications.working_paper import PaperFormat
from states.errors import NotFoundError, TaskforceError
from states.evidence import Upload
from tests.web.conftest import WEB_NOW, Site

OFFICER = "law.officer.punjab@example.org"
PDF = b"%PDF-1.7\n% the draft bill\n%%EOF\n"


def paper(site: Site, **chosen: object) -> matrix.Matrix:
    installation = site.installation
    with transaction(installation.sessions) as session:
        return matrix.build(
            session,
            installation.catalogue,
            installation.calendar,
            now=WEB_NOW,
            **chosen,  # type: ignore[arg-type]
        )


def row_of(data: matrix.Matrix, key: str) -> matrix.MatrixRow:
    (found,) = [row for row in data.rows if row.key == key]
    return found


def test_rows_say_where_each_decision_stands_and_what_changed(site: Site) -> None:
    installation = site.installation
    with transaction(installation.sessions) as session:
        workflow.note(
            session,
            key="CMB-PUNJAB",
            actor_email=OFFICER,
            text="Draft  sent to\nthe Law Department",
            now=WEB_NOW - timedelta(days=2),
            attachments=[Upload("draft.pdf", PDF)],
        )
        workflow.advance(
            session,
            installation.catalogue,
            key="CMB-PUNJAB",
            action="send_for_vetting",
            actor_email=OFFICER,
            now=WEB_NOW - timedelta(days=1),
            calendar=installation.calendar,
        )

    data = paper(site)
    punjab = row_of(data, "CMB-PUNJAB")
    assert (punjab.stage_title, punjab.department, punjab.agenda_item) == (
        "Law Department vetting",
        "law",
        "2",
    )
    assert punjab.officer_email == OFFICER
    assert punjab.latest_remark == "Draft sent to the Law Department"
    assert punjab.evidence_count == 1
    assert punjab.changes.stages == ("Drafting", "Law Department vetting")
    assert punjab.changes.remarks == 1
    assert working_paper.describe_changes(punjab.changes) == (
        "moved Drafting → Law Department vetting; 1 remark"
    )
    # Each child directly under its parent, one level deeper.
    keys = [row.key for row in data.rows]
    for row in data.rows:
        if row.parent_key:
            parent = row_of(data, row.parent_key)
            assert keys.index(parent.key) < keys.index(row.key)
            assert row.depth == parent.depth + 1
    assert row_of(data, "DHRC-PUNJAB-LAHORE").parent_key == "DHRC-PUNJAB"
    # A decision that has not moved since the meeting is overdue or has days left.
    kp = row_of(data, "CMB-KP")
    assert not kp.changes.any
    assert (kp.overdue_working_days is None) != (kp.working_days_left is None)

    # A province includes its districts, and nothing else.
    punjab_only = paper(site, scope="punjab")
    assert {row.jurisdiction.split("/")[0] for row in punjab_only.rows} == {"punjab"}
    assert "DHRC-PUNJAB-LAHORE" in {row.key for row in punjab_only.rows}
    with pytest.raises(TaskforceError, match="unknown jurisdiction 'atlantis'"):
        paper(site, scope="atlantis")
    with pytest.raises(NotFoundError, match="no meeting 'ntf_hr_99'"):
        paper(site, meeting="ntf_hr_99")
    assert len(paper(site, meeting="ntf_hr_08").rows) == len(data.rows)


def test_the_xlsx_in_english_and_urdu(site: Site) -> None:
    data = paper(site)
    book = openpyxl.load_workbook(io.BytesIO(working_paper.to_xlsx(data)))
    sheet = book.active
    assert sheet is not None
    heads = [cell.value for cell in sheet[1]]
    assert heads[:3] == ["Key", "Agenda item", "Decision"]
    assert "Changed since 12 June 2026" in heads
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:N{len(data.rows) + 1}"
    assert not sheet.sheet_view.rightToLeft
    rows = {line[0]: line for line in sheet.iter_rows(min_row=2, values_only=True)}
    punjab = dict(zip(heads, rows["CMB-PUNJAB"], strict=True))
    assert (punjab["Stage"], punjab["Department"], punjab["Status"]) == ("Drafting", "Law", "open")
    lahore = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "DHRC-PUNJAB-LAHORE")
    assert lahore[2].alignment.indent > 0
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["B"].width

    urdu = openpyxl.load_workbook(io.BytesIO(working_paper.to_xlsx(data, "ur"))).active
    assert urdu is not None
    assert urdu.sheet_view.rightToLeft
    urdu_heads = [cell.value for cell in urdu[1]]
    assert urdu_heads[:3] == ["کلید", "ایجنڈا نمبر", "فیصلہ"]
    punjab_ur = next(r for r in urdu.iter_rows(min_row=2, values_only=True) if r[0] == "CMB-PUNJAB")
    assert punjab_ur[3:5] == ("پنجاب", "قانون")


def test_the_docx_is_a_landscape_table_right_to_left_in_urdu(site: Site) -> None:
    data = paper(site)
    document = docx.Document(io.BytesIO(working_paper.to_docx(data)))
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert section.page_width > section.page_height
    (table,) = document.tables
    assert len(table.rows) == len(data.rows) + 1
    assert table.rows[0].cells[0].text == "Key"
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    keys = [row.cells[0].text for row in table.rows[1:]]
    assert keys == [row.key for row in data.rows]
    punjab = table.rows[1 + keys.index("CMB-PUNJAB")]
    assert punjab.cells[6].text == "Drafting"

    urdu = docx.Document(io.BytesIO(working_paper.to_docx(data, "ur")))
    (urdu_table,) = urdu.tables
    assert urdu_table._tbl.tblPr.find(qn("w:bidiVisual")) is not None
    assert urdu_table.rows[0].cells[2].text == "فیصلہ"
    assert all(p._p.pPr.find(qn("w:bidi")) is not None for p in urdu.paragraphs)


def test_the_csv_opens_in_excel_with_urdu(site: Site) -> None:
    data = paper(site, scope="punjab")
    content = working_paper.to_csv(data, "ur")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][0] == "کلید"
    assert len(rows) == len(data.rows) + 1
    lahore = next(row for row in rows if row[0] == "DHRC-PUNJAB-LAHORE")
    assert lahore[-1] == "DHRC-PUNJAB"


def test_the_board_offers_the_paper_of_the_viewers_province(site: Site) -> None:
    client = site.browser("law.secretary.punjab@example.org")
    board = client.get("/board").text
    for kind in PaperFormat:
        assert f'href="/board/matrix.{kind.value}"' in board
        response = client.get(f"/board/matrix.{kind.value}")
        assert response.status_code == 200
        assert response.headers["content-type"] == working_paper.MEDIA_TYPES[kind]
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert f'working-paper-punjab-2026-07-27.{kind.value}"' in disposition
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/board/matrix.xlsx").content)).active
    assert sheet is not None
    keys = [line[0] for line in sheet.iter_rows(min_row=2, values_only=True)]
    assert "CMB-PUNJAB" in keys
    assert "CMB-KP" not in keys
    assert client.get("/board/matrix.pdf").status_code == 404
