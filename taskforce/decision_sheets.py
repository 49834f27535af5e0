"""A new meeting's decisions as a spreadsheet: the empty template out, the filled rows in.

XLSX holds three sheets (meeting, people, decisions); a CSV file holds only the
decisions, and the meeting is named on the command line. The rows are checked by
`states.decision_rows`, the same rules as a meeting file.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session, sessionmaker

from db import workflow
from db.loading import LoadReport, load_meeting
from states import decision_rows
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.decision_rows import Row
from states.errors import NotFoundError, TaskforceError
from states.meeting import MeetingFile

SHEETS = {
    "meeting": ("field", "value"),
    "people": decision_rows.PEOPLE_COLUMNS,
    "decisions": decision_rows.DECISION_COLUMNS,
}


def template_xlsx() -> bytes:
    """The empty template: the three sheets with their headers, the meeting's fields listed."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, columns in SHEETS.items():
        sheet = book.create_sheet(name)
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    book["meeting"].append(["key", None])
    for field in decision_rows.MEETING_FIELDS[1:]:
        book["meeting"].append([field, None])
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


def template_csv() -> str:
    """The decisions header as CSV: the meeting is named on the command line."""
    return ",".join(decision_rows.DECISION_COLUMNS) + "\n"


def _header(values: tuple[object, ...] | list[str]) -> list[str]:
    return [" ".join(str(value or "").split()).lower() for value in values]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise TaskforceError(f"{path}: no such file") from None
    except OSError as error:
        raise TaskforceError(f"{path}: {error.strerror or error}") from None


def xlsx_rows(content: bytes, *, name: str) -> dict[str, list[Row]]:
    """Each template sheet's rows (row number, cells by column); a sheet missing is refused."""
    try:
        book = load_workbook(io.BytesIO(content), data_only=True, read_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise TaskforceError(f"{name}: not an XLSX workbook ({error})") from None
    missing = [sheet for sheet in ("meeting", "decisions") if sheet not in book.sheetnames]
    if missing:
        raise TaskforceError(
            f"{name}: no sheet {', '.join(missing)}; start from the template of"
            " `taskforce report decisions-template`"
        )
    found: dict[str, list[Row]] = {}
    for sheet in SHEETS:
        if sheet not in book.sheetnames:
            found[sheet] = []
            continue
        rows = book[sheet].iter_rows(values_only=True)
        headers = _header(next(rows, ()))
        found[sheet] = [
            (number, dict(zip(headers, values, strict=False)))
            for number, values in enumerate(rows, start=2)
        ]
    book.close()
    return found


def csv_rows(content: bytes, *, name: str) -> list[Row]:
    """The decision rows of a CSV file (UTF-8, a header row first)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TaskforceError(f"{name}: not UTF-8 text; save the CSV as UTF-8") from None
    rows = csv.reader(io.StringIO(text))
    headers = _header(next(rows, []))
    return [
        (number, dict(zip(headers, values, strict=False)))
        for number, values in enumerate(rows, start=2)
    ]


def read_decisions(
    path: Path,
    *,
    meeting: tuple[str, str, date] | None = None,
    pipeline_problem: Callable[[str], str | None] | None = None,
) -> MeetingFile:
    """The meeting file a filled template stands for; a CSV file needs `meeting` given."""
    content = _read(path)
    if path.suffix.lower() == ".csv":
        if meeting is None:
            raise TaskforceError(
                f"{path}: a CSV file holds only decisions; name the meeting with"
                " --meeting KEY --title TITLE --held-on DATE"
            )
        return decision_rows.meeting_of(
            path.name,
            meeting=decision_rows.meeting_rows(*meeting),
            decisions=csv_rows(content, name=path.name),
            pipeline_problem=pipeline_problem,
        )
    if meeting is not None:
        raise TaskforceError(
            f"{path}: --meeting, --title and --held-on are for a CSV file;"
            " an XLSX file names its meeting in its meeting sheet"
        )
    sheets = xlsx_rows(content, name=path.name)
    return decision_rows.meeting_of(
        path.name,
        meeting=sheets["meeting"],
        people=sheets["people"],
        decisions=sheets["decisions"],
        pipeline_problem=pipeline_problem,
    )


def pipeline_problem(catalogue: Catalogue) -> Callable[[str], str | None]:
    """What is wrong with a pipeline key (none registered by that name), or None."""

    def problem(key: str) -> str | None:
        try:
            catalogue.latest(key)
        except NotFoundError as error:
            return error.message
        return None

    return problem


def load_decisions(
    sessions: sessionmaker[Session],
    catalogue: Catalogue,
    meeting: MeetingFile,
    *,
    now: datetime,
    calendar: WorkingCalendar = workflow.PUBLIC_HOLIDAYS_ONLY,
    preview: bool = False,
) -> LoadReport:
    """Load the decisions as `taskforce load` loads a meeting file; a preview keeps nothing.

    A preview runs the very same load in one transaction and rolls it back, so it
    reports exactly what the import would add, restate or amend.
    """
    with sessions() as session:
        report = load_meeting(session, catalogue, meeting, now=now, calendar=calendar)
        if preview:
            session.rollback()
        else:
            session.commit()
    return report
