"""The province's sheet as an XLSX file (openpyxl): written pre-filled, read back as rows.

Read-only columns are greyed and the sheet is protected; only the columns to fill
are unlocked. The action column offers, row by row, the actions possible from the
commitment's stage; the date column takes a date.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from db import sheets as sheet_store
from db.sheets import SheetLine, SheetReport
from states import sheets
from states.errors import TaskforceError
from states.sheets import SheetFileError
from taskforce.app import App

_GREY = PatternFill(fill_type="solid", start_color="FFE7E6E6", end_color="FFE7E6E6")
_WIDTHS = {
    sheets.KEY: 18,
    sheets.TITLE: 60,
    sheets.DEPARTMENT: 22,
    sheets.OFFICER: 34,
    sheets.STAGE: 26,
    sheets.VERSION: 9,
    sheets.NEEDS: 40,
    sheets.ACTION: 26,
    sheets.VALUES: 26,
    sheets.REMARK: 60,
    sheets.HAPPENED_ON: 16,
}
# Excel keeps a list typed into a validation to 255 characters.
_LIST_LIMIT = 255


def workbook(found: Sequence[SheetLine], *, scope: str, made_at: datetime) -> bytes:
    """The pre-filled sheet for `scope`, as XLSX bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    # A sheet's title may not hold \ / ? * [ ] : (a district is punjab/lahore).
    sheet.title = re.sub(r"[\\/?*\[\]:]", "-", scope)[:31] or "sheet"
    sheet.append(list(sheets.COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _GREY
    for line in found:
        sheet.append(
            [
                line.key,
                line.title,
                line.department,
                line.officer,
                line.stage,
                line.version,
                line.needs,
            ]
        )
    last = len(found) + 1
    fill_columns = {name: sheets.COLUMNS.index(name) + 1 for name in sheets.TO_FILL}
    for number, line in enumerate(found, start=2):
        for column in range(1, len(sheets.READ_ONLY) + 1):
            sheet.cell(number, column).fill = _GREY
        for column in fill_columns.values():
            sheet.cell(number, column).protection = Protection(locked=False)
        sheet.cell(number, fill_columns[sheets.HAPPENED_ON]).number_format = "yyyy-mm-dd"
        choices = ",".join(line.actions)
        if choices and len(choices) + 2 <= _LIST_LIMIT:
            menu = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
            menu.error = f"Choose one of: {', '.join(line.actions)}"
            menu.add(f"{get_column_letter(fill_columns[sheets.ACTION])}{number}")
            sheet.add_data_validation(menu)
    if found:
        date_column = get_column_letter(fill_columns[sheets.HAPPENED_ON])
        dates = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
        dates.error = "Write a date, e.g. 2026-11-20"
        dates.add(f"{date_column}2:{date_column}{last}")
        sheet.add_data_validation(dates)
    for name, width in _WIDTHS.items():
        sheet.column_dimensions[get_column_letter(sheets.COLUMNS.index(name) + 1)].width = width
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(sheets.COLUMNS))}{last}"
    sheet.protection.sheet = True
    sheet.protection.autoFilter = False
    sheet.protection.sort = False
    sheet.protection.formatColumns = False
    book.properties.title = f"Commitments of {scope}, {made_at:%Y-%m-%d}"
    book.properties.created = made_at.replace(tzinfo=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_rows(path: Path) -> list[tuple[int, Mapping[str, object]]]:
    """The data rows of the sheet at `path`: (row number, cells by column name)."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise TaskforceError(f"{path}: no such file") from None
    except OSError as error:
        raise TaskforceError(f"{path}: {error.strerror or error}") from None
    return rows_of(content, name=str(path))


def apply_sheet(
    session: Session,
    application: App,
    rows: Sequence[tuple[int, Mapping[str, object]]],
    *,
    name: str,
    actor_email: str,
    now: datetime,
) -> SheetReport:
    """Apply the rows of the filled sheet `name` (`read_rows`, `rows_of`) as `actor_email`.

    The one way a sheet comes in, from `import sheet` and from the board's upload
    alike: parsed, and applied in the caller's transaction with the installation's
    calendar and back-dating limit. The caller commits only when the report has no
    errors, and never for a preview.
    """
    return sheet_store.apply(
        session,
        application.catalogue,
        sheets.parse(rows),
        actor_email=actor_email,
        sheet=name,
        now=now,
        calendar=application.calendar,
        max_days_back=application.settings.backdate_max_days,
    )


def rows_of(content: bytes, *, name: str) -> list[tuple[int, Mapping[str, object]]]:
    """The data rows of the sheet whose bytes are `content` (called `name` in errors)."""
    try:
        book = load_workbook(io.BytesIO(content), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise SheetFileError(f"{name}: not an XLSX workbook ({error})") from None
    rows = book.worksheets[0].iter_rows(values_only=True)
    headers = [" ".join(str(h or "").split()).lower() for h in next(rows, ())]
    missing = sheets.missing_columns(headers)
    if missing:
        raise SheetFileError(
            f"{name}: the first row lacks the column(s) {', '.join(missing)};"
            " start from the sheet made for you (the board's download, or report sheet)"
        )
    return [
        (number, dict(zip(headers, values, strict=False)))
        for number, values in enumerate(rows, start=2)
    ]
