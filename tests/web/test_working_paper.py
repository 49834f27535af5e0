"""The working paper: its rows from the database, and the files read back with their own libraries.

On the bundled meeting at the web tests' fixed clock, on SQLite and PostgreSQL. The PDFs
are printed once for the module, from the SQLite copy: WeasyPrint takes a second or two
a paper, and what it prints does not depend on the database the rows came from.
"""

from __future__ import annotations

import csv
import ctypes
import io
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import docx
import openpyxl
import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from PIL import Image

from db import matrix, workflow
from db.engine import transaction
from notifications import paper_print, working_paper
from notifications.working_paper import PaperFormat
from states.errors import NotFoundError, TaskforceError
from states.evidence import Upload
from taskforce.app import open_app
from taskforce.settings import Settings
from tests.web.conftest import WEB_NOW, Site, csrf_of

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
    assert (str(punjab.stage_title), punjab.department, punjab.agenda_item) == (
        "Law Department vetting",
        "law",
        "2",
    )
    assert punjab.officer_email == OFFICER
    assert punjab.latest_remark == "Draft sent to the Law Department"
    assert punjab.evidence_count == 1
    assert tuple(map(str, punjab.changes.stages)) == (
        "Drafting in the sponsoring department",
        "Law Department vetting",
    )
    assert punjab.changes.remarks == 1
    assert working_paper.describe_changes(punjab.changes) == (
        "moved Drafting in the sponsoring department → Law Department vetting; 1 remark"
    )
    # The Urdu paper names the decision and its stages by their Urdu titles.
    urdu_changes = working_paper.describe_changes(punjab.changes, "ur")
    assert "مسودہ سازی → محکمہ قانون کی جانچ" in urdu_changes
    urdu_cells = working_paper.cells(punjab, "ur")
    assert "پنجاب میں شادی کی کم از کم عمر 18 سال" in str(urdu_cells)
    assert "محکمہ قانون کی جانچ" in urdu_cells and "Law Department vetting" not in urdu_cells
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


def test_the_paper_of_a_meeting_names_it_in_the_papers_language(site: Site) -> None:
    data = paper(site, meeting="ntf_hr_08")
    urdu = paper_print.to_html(data, "ur")
    assert "انسانی حقوق کی قومی ٹاسک فورس کا آٹھواں اجلاس" in urdu
    assert "National Task Force" not in urdu
    english = paper_print.to_html(data)
    assert "8th meeting of the National Task Force on Human Rights" in english


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
    assert (punjab["Stage"], punjab["Department"], punjab["Status"]) == (
        "Drafting in the sponsoring department",
        "Law",
        "open",
    )
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
    assert punjab.cells[6].text == "Drafting in the sponsoring department"

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
    assert client.get("/board/matrix.pdf?lang=ur").content.startswith(b"%PDF-")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/board/matrix.xlsx").content)).active
    assert sheet is not None
    keys = [line[0] for line in sheet.iter_rows(min_row=2, values_only=True)]
    assert "CMB-PUNJAB" in keys
    assert "CMB-KP" not in keys
    assert client.get("/board/matrix.txt").status_code == 404


def test_the_board_shows_the_page_the_pdf_is_printed_from(site: Site) -> None:
    client = site.browser("law.secretary.punjab@example.org")
    assert 'href="/board/matrix.html"' in client.get("/board").text
    page = client.get("/board/matrix.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "content-disposition" not in page.headers
    assert '<html lang="en" dir="ltr">' in page.text
    assert '<div dir="ltr">CMB-PUNJAB</div>' in page.text
    assert "CMB-KP" not in page.text
    # Its inline stylesheet, and no other, is allowed by the page's own policy.
    nonce = re.search(r'<style nonce="([^"]+)">', page.text)
    assert nonce is not None
    assert f"style-src 'self' 'nonce-{nonce.group(1)}'" in page.headers["content-security-policy"]
    assert client.get("/board").headers["content-security-policy"].count("nonce") == 0
    assert '<html lang="ur" dir="rtl">' in client.get("/board/matrix.html?lang=ur").text

    # The links in Urdu, for a viewer who reads the board in Urdu.
    client.post(
        "/preferences/language",
        data={"language": "ur", "next": "/board", "csrf_token": csrf_of(client, "/board")},
    )
    board = client.get("/board").text
    assert 'href="/board/matrix.pdf"' in board
    assert "پرنٹ کے لیے صفحہ" in board
    assert '<html lang="ur" dir="rtl">' in client.get("/board/matrix.html").text
    assert client.get("/board/matrix.html", follow_redirects=False).status_code == 200
    assert site.anonymous().get("/board/matrix.html").status_code == 303


# -- The PDF, read back with pypdfium2 -------------------------------------------------

HOSTILE = "<script>alert(1)</script> & <b>bold</b>"
URDU_TITLE = working_paper.word("title", "ur")


@pytest.fixture(scope="module")
def printed(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[str, bytes]]:
    """The federal paper at WEB_NOW, a remark of hostile text on CMB-PUNJAB: HTML and PDF."""
    copy = tmp_path_factory.mktemp("printed") / "taskforce.sqlite3"
    shutil.copyfile(sqlite_template, copy)
    installation = open_app(Settings(database_url=f"sqlite:///{copy}"))
    try:
        with transaction(installation.sessions) as session:
            workflow.note(
                session,
                key="CMB-PUNJAB",
                actor_email=OFFICER,
                text=HOSTILE,
                now=WEB_NOW - timedelta(days=1),
            )
        with transaction(installation.sessions) as session:
            data = matrix.build(session, installation.catalogue, installation.calendar, now=WEB_NOW)
    finally:
        installation.close()
    return {
        language: (
            paper_print.to_html(data, language),
            working_paper.render(data, PaperFormat.PDF, language),
        )
        for language in ("en", "ur")
    }


class ReadBack:
    """What pypdfium2 reads in a PDF: page sizes, title, and page 1's text, fonts and PNG."""

    def __init__(self, pdf: bytes) -> None:
        document = pypdfium2.PdfDocument(pdf)
        try:
            self.title = document.get_metadata_dict().get("Title", "")
            self.sizes: list[tuple[float, float]] = []
            for index in range(len(document)):
                page = document[index]
                self.sizes.append(page.get_size())
                if index == 0:
                    self._read_first(page)
                page.close()
        finally:
            document.close()

    def _read_first(self, page: pypdfium2.PdfPage) -> None:
        text = page.get_textpage()
        self.text = text.get_text_range()
        self.fonts: set[str] = set()
        name = ctypes.create_string_buffer(256)
        flags = ctypes.c_int()
        for index in range(text.count_chars()):
            pdfium_c.FPDFText_GetFontInfo(text.raw, index, name, len(name), ctypes.byref(flags))
            # 'QXPZAC+Noto-Nastaliq-Urdu' (a subset) -> 'NotoNastaliqUrdu'
            self.fonts.add(name.value.decode().split("+")[-1].replace("-", ""))
        text.close()
        # Page 1 as a PNG file, as the README's pictures are made, and read back.
        png = io.BytesIO()
        page.render(scale=1).to_pil().save(png, format="PNG")
        self.image = Image.open(png).convert("RGB")


@pytest.fixture(scope="module")
def read(printed: dict[str, tuple[str, bytes]]) -> Iterator[dict[str, ReadBack]]:
    yield {language: ReadBack(pdf) for language, (_, pdf) in printed.items()}


def test_the_pdf_is_the_table_on_landscape_a4_pages(read: dict[str, ReadBack]) -> None:
    english = read["en"]
    assert len(english.sizes) >= 2  # the bundled meeting takes more than one page
    for width, height in english.sizes:
        assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    assert english.title == "Implementation status of the task force's decisions"
    text = " ".join(english.text.split())
    for words in (
        "Implementation status of the task force's decisions",
        "Scope: Federal",
        "As of 27 July 2026",
        "Key Agenda item Decision Jurisdiction Department Officer Stage Status Deadline",
        "Changed since 12 June 2026",
        "CMB-PUNJAB",
        "CMB-BALOCHISTAN",
        f"Page 1 of {len(english.sizes)}",
    ):
        assert words in text, words
    # Hostile text is shown as the letters it is made of.
    assert "alert(1)" in text and "<b>bold" in text


def test_the_urdu_pdf_is_set_in_nastaliq(
    read: dict[str, ReadBack], printed: dict[str, tuple[str, bytes]]
) -> None:
    urdu = read["ur"]
    assert all(width > height for width, height in urdu.sizes)
    assert urdu.title == URDU_TITLE
    assert "NotoNastaliqUrdu" in urdu.fonts, urdu.fonts
    # Keys keep their Latin order inside the right-to-left rows.
    assert "CMB-PUNJAB" in urdu.text and "CMB-BALOCHISTAN" in urdu.text
    # Nastaliq draws one shape for several letters, so the PDF's text layer cannot spell
    # its words back: the page it was printed from carries them.
    html, _ = printed["ur"]
    assert html.startswith('<!doctype html>\n<html lang="ur" dir="rtl">')
    for head in ("کلید", "ایجنڈا نمبر", "فیصلہ", "حتمی تاریخ"):
        assert f">{head}</th>" in html
    assert '"Noto Nastaliq Urdu"' in html
    assert '<div dir="ltr">law.officer.punjab@example.org</div>' in html


def test_the_hostile_remark_is_escaped_in_the_page(printed: dict[str, tuple[str, bytes]]) -> None:
    for html, _ in printed.values():
        assert "<script>" not in html and "<b>bold" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def ink(image: Image.Image) -> Image.Image:
    """A mask of everything drawn darker than the page."""
    return image.convert("L").point(lambda value: 255 if value < 200 else 0)


def test_the_first_page_is_drawn_and_urdu_starts_at_the_right(
    read: dict[str, ReadBack],
) -> None:
    for language in ("en", "ur"):
        image = read[language].image
        width, height = image.size
        drawn = ink(image).histogram()[255] / (width * height)
        assert 0.02 < drawn < 0.5, (language, drawn)  # text and rules, not an empty page
        box = ink(image).getbbox()
        assert box is not None and box[3] - box[1] > height * 0.5  # it fills the page down
        colours = image.getcolors(maxcolors=width * height) or []
        header = sum(
            n for n, (r, g, b) in colours if abs(r - 230) + abs(g - 235) + abs(b - 242) < 12
        )
        overdue = sum(n for n, (r, g, b) in colours if r > 120 and g < 60 and b < 90)
        assert header > 2000 and overdue > 20, (language, header, overdue)
        # The title is the first line drawn: at the left in English, at the right in Urdu.
        mask = ink(image)
        top = box[1]
        title = mask.crop((0, top, width, top + 12)).getbbox()
        assert title is not None
        left, right = title[0], title[2]
        if language == "en":
            assert left < width * 0.1 and right < width * 0.6, title
        else:
            assert right > width * 0.9 and left > width * 0.4, title
