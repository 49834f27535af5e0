"""The working paper (implementation-status matrix) as XLSX, DOCX, CSV or PDF, in English or Urdu.

The rows come from `db/matrix.py`; this module only writes them out (the PDF is
printed from the HTML page of `notifications/paper_print.py`). Urdu papers read
right to left: the sheet's view, the document's table and paragraphs, the page.
Dates, places and departments are written by `notifications/formatting.py`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from enum import StrEnum

from db.matrix import Changes, Matrix, MatrixRow
from notifications import formatting
from notifications.formatting import ENGLISH, URDU
from states.calendar import local_day


class PaperFormat(StrEnum):
    """The file kinds the working paper is written as."""

    XLSX = "xlsx"
    DOCX = "docx"
    CSV = "csv"
    PDF = "pdf"


MEDIA_TYPES = {
    PaperFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    PaperFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    PaperFormat.CSV: "text/csv; charset=utf-8",
    PaperFormat.PDF: "application/pdf",
}

# Every fixed word of the paper, English then Urdu: the one place to add a language's words.
_WORDS: dict[str, tuple[str, str]] = {
    "title": (
        "Implementation status of the task force's decisions",
        "ٹاسک فورس کے فیصلوں پر عمل درآمد کی صورتحال",
    ),
    "key": ("Key", "کلید"),
    "agenda": ("Agenda item", "ایجنڈا نمبر"),
    "decision": ("Decision", "فیصلہ"),
    "parent": ("Under", "ماتحت"),
    "jurisdiction": ("Jurisdiction", "دائرۂ اختیار"),
    "department": ("Department", "محکمہ"),
    "officer": ("Officer", "افسر"),
    "stage": ("Stage", "مرحلہ"),
    "status": ("Status", "حیثیت"),
    "deadline": ("Deadline", "حتمی تاریخ"),
    "standing": ("Working days", "کاری دن"),
    "remark": ("Latest remark", "تازہ ترین تبصرہ"),
    "evidence": ("Files", "فائلیں"),
    "changes": ("Changed since {day}", "{day} سے تبدیلیاں"),
    "changes_none": ("Changed", "تبدیلیاں"),
    "reiterated": ("Reiterated at", "جن اجلاسوں میں دہرایا گیا"),
    "open": ("open", "جاری"),
    "completed": ("completed", "مکمل"),
    "withdrawn": ("withdrawn", "واپس لیا گیا"),
    "lapsed": ("lapsed", "ساقط"),
    "left": ("{n} left", "{n} باقی"),
    "overdue": ("{n} overdue", "{n} کی تاخیر"),
    "moved": ("moved {path}", "{path} منتقل"),
    "remarks": ("{n} remarks", "{n} تبصرے"),
    "one_remark": ("1 remark", "1 تبصرہ"),
    "reassigned": ("reassigned", "نئے افسر کے سپرد"),
    "amended": ("amended by a meeting", "اجلاس میں ترمیم"),
    "acknowledged": ("escalation acknowledged", "اطلاع تسلیم"),
    "snoozed": ("escalation held", "اطلاع مؤخر"),
    "exempted": ("exempted from escalation", "اطلاع سے مستثنیٰ"),
    "scope": ("Scope: {place}", "دائرہ: {place}"),
    "made": ("As of {moment}", "بمطابق {moment}"),
    "meeting": ("Decisions of {meeting}", "{meeting} کے فیصلے"),
    "page": ("Page {page} of {pages}", "صفحہ {page} از {pages}"),
}
COLUMNS = (
    "key",
    "agenda",
    "decision",
    "jurisdiction",
    "department",
    "officer",
    "stage",
    "status",
    "deadline",
    "standing",
    "remark",
    "evidence",
    "changes",
    "reiterated",
)
# Widths (characters) the columns may grow to; long text wraps inside them.
_MAX_WIDTH = {"decision": 60, "remark": 45, "changes": 40, "reiterated": 30}


def word(name: str, language: str = ENGLISH, **values: object) -> str:
    """A fixed word of the paper in `language`, with `values` filled in."""
    english, urdu = _WORDS[name]
    return (urdu if language == URDU else english).format(**values)


def headers(matrix: Matrix, language: str = ENGLISH) -> list[str]:
    """The column headings, in the paper's order."""
    heads = []
    for column in COLUMNS:
        if column == "changes":
            heads.append(
                word("changes", language, day=formatting.day(matrix.since, language))
                if matrix.since
                else word("changes_none", language)
            )
        else:
            heads.append(word(column, language))
    return heads


def cells(row: MatrixRow, language: str = ENGLISH) -> list[str | int]:
    """One row's values as the paper shows them, in the order of `headers`."""
    officer = row.officer_name or ""
    if row.officer_email:
        officer = f"{officer} <{row.officer_email}>" if officer else row.officer_email
    if row.overdue_working_days is not None:
        standing = word("overdue", language, n=row.overdue_working_days)
    elif row.working_days_left is not None:
        standing = word("left", language, n=row.working_days_left)
    else:
        standing = ""
    return [
        row.key,
        row.agenda_item,
        row.title.in_(language).marked,
        formatting.jurisdiction(row.jurisdiction, language),
        formatting.department(row.department, language),
        officer,
        row.stage_title.in_(language).marked,
        word(row.status, language) if row.status in _WORDS else row.status,
        formatting.day(row.deadline, language) if row.deadline else "",
        standing,
        row.latest_remark or "",
        row.evidence_count,
        describe_changes(row.changes, language),
        ", ".join(meeting.local_title.in_(language).marked for meeting in row.reiterated_at),
    ]


def describe_changes(changes: Changes, language: str = ENGLISH) -> str:
    """'moved Drafting → Law vetting; 2 remarks', or '' when nothing happened."""
    return ("؛ " if language == URDU else "; ").join(change_parts(changes, language))


def change_parts(changes: Changes, language: str = ENGLISH) -> list[str]:
    """Each thing that happened, as `describe_changes` names it: ['moved ...', '2 remarks']."""
    parts: list[str] = []
    if changes.stages:
        path = " → ".join(stage.in_(language).marked for stage in changes.stages)
        parts.append(word("moved", language, path=path))
    if changes.remarks == 1:
        parts.append(word("one_remark", language))
    elif changes.remarks:
        parts.append(word("remarks", language, n=changes.remarks))
    for kind, count in changes.other:
        parts.append(word(kind, language) + (f" ({count})" if count > 1 else ""))
    return parts


def render(matrix: Matrix, paper_format: PaperFormat, language: str = ENGLISH) -> bytes:
    """The working paper as the bytes of a file of `paper_format`."""
    writers: dict[PaperFormat, Callable[[Matrix, str], bytes]] = {
        PaperFormat.XLSX: to_xlsx,
        PaperFormat.DOCX: to_docx,
        PaperFormat.CSV: to_csv,
        PaperFormat.PDF: to_pdf,
    }
    return writers[paper_format](matrix, language)


def to_pdf(matrix: Matrix, language: str = ENGLISH) -> bytes:
    """The printable page as PDF (imported here, not above: WeasyPrint is slow to load)."""
    from notifications import paper_print

    return paper_print.to_pdf(matrix, language)


def to_csv(matrix: Matrix, language: str = ENGLISH) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so Excel reads Urdu; a last column names the parent."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*headers(matrix, language), word("parent", language)])
    for row in matrix.rows:
        writer.writerow([*cells(row, language), row.parent_key or ""])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(matrix: Matrix, language: str = ENGLISH) -> bytes:
    """One sheet: a bold header row frozen and filtered, wrapped text, children indented."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its one sheet
    sheet.title = "Working paper" if language == ENGLISH else "ورکنگ پیپر"
    heads = headers(matrix, language)
    sheet.append(heads)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    decision_column = COLUMNS.index("decision") + 1
    written = [cells(row, language) for row in matrix.rows]
    for row, line in zip(matrix.rows, written, strict=True):
        sheet.append(line)
        for cell in sheet[sheet.max_row]:
            indent = row.depth * 2 if cell.column == decision_column else 0
            cell.alignment = Alignment(wrap_text=True, vertical="top", indent=indent)
    for index, column in enumerate(COLUMNS, start=1):
        texts = [heads[index - 1], *(str(line[index - 1]) for line in written)]
        longest = max((len(part) for text in texts for part in text.splitlines()), default=8)
        width = min(longest, _MAX_WIDTH.get(column, 30)) + 2
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    sheet.sheet_view.rightToLeft = language == URDU
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_docx(matrix: Matrix, language: str = ENGLISH) -> bytes:
    """A landscape document: a title, the scope and date, and one table whose header repeats."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    urdu = language == URDU
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))

    def bidi(paragraph: object) -> None:
        if urdu:
            properties = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
            properties.append(OxmlElement("w:bidi"))

    heading = document.add_heading(word("title", language), level=1)
    bidi(heading)
    lines = [
        word("scope", language, place=formatting.jurisdiction(matrix.scope, language)),
        word("made", language, moment=formatting.moment(matrix.made_at, language)),
    ]
    if matrix.meeting:
        title = matrix.meeting.local_title.in_(language).marked
        lines.append(word("meeting", language, meeting=title))
    for line in lines:
        bidi(document.add_paragraph(line))

    heads = headers(matrix, language)
    table = document.add_table(rows=1, cols=len(heads))
    table.style = "Table Grid"
    if urdu:
        table._tbl.tblPr.append(OxmlElement("w:bidiVisual"))
    header_row = table.rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_row._tr.get_or_add_trPr().append(repeat)
    for cell, text in zip(header_row.cells, heads, strict=True):
        paragraph = cell.paragraphs[0]
        run = paragraph.add_run(text)
        run.bold = True
        run.font.size = Pt(8)
        bidi(paragraph)
    decision_column = COLUMNS.index("decision")
    for row in matrix.rows:
        values = cells(row, language)
        for index, (cell, value) in enumerate(zip(table.add_row().cells, values, strict=True)):
            paragraph = cell.paragraphs[0]
            paragraph.add_run(str(value)).font.size = Pt(8)
            if index == decision_column and row.depth:
                indent = Cm(0.4 * row.depth)
                if urdu:
                    paragraph.paragraph_format.right_indent = indent
                else:
                    paragraph.paragraph_format.left_indent = indent
            bidi(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def file_name(matrix: Matrix, paper_format: PaperFormat, language: str = ENGLISH) -> str:
    """A download's name: 'working-paper-punjab-2026-07-27-ur.xlsx'."""
    day = local_day(matrix.made_at).isoformat()
    scope = matrix.scope.replace("/", "-")
    suffix = "-ur" if language == URDU else ""
    return f"working-paper-{scope}-{day}{suffix}.{paper_format.value}"


def known_formats() -> Sequence[str]:
    """The format names, for messages and help."""
    return [paper_format.value for paper_format in PaperFormat]
