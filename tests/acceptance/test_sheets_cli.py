"""`taskforce report sheet` and `taskforce import sheet` as a province uses them.

The sheet is read back and filled with openpyxl; the import refuses a bad row by
its number and changes nothing, a dry run changes nothing, and the real import
applies the rows. (Conflicts and both databases: tests/integration/test_sheets.py.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from db.engine import make_engine
from db.models import Event

SECRETARY = "hr.secretary.punjab@example.org"


def _event_count(database: Path) -> int:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count(Event.id))).scalar_one())
    finally:
        engine.dispose()


def test_the_punjab_sheet_goes_out_and_comes_back_all_or_nothing(
    taskforce: Callable[..., Any], tmp_path: Path
) -> None:
    assert taskforce("load").code == 0
    made = taskforce("report", "sheet", "--scope", "punjab")
    assert made.code == 0, made.stderr
    (sheet,) = tmp_path.glob("punjab-*.xlsx")
    assert made.stdout.strip() == f"{sheet.name}: 45 open commitments of punjab"

    book = load_workbook(sheet)
    page = book.active
    assert page is not None
    rows = list(page.iter_rows(values_only=True))
    assert rows[0] == (
        "key",
        "title",
        "department",
        "officer",
        "current stage",
        "version",
        "what each action needs",
        "new stage / action",
        "values (name=value; ...)",
        "remark",
        "date it happened",
    )
    number = {row[0]: n for n, row in enumerate(rows, start=1)}
    multan = dict(zip(rows[0], rows[number["DHRC-PUNJAB-MULTAN"] - 1], strict=True))
    assert (multan["current stage"], multan["version"], multan["what each action needs"]) == (
        "Notified",
        1,
        "nominate_members: members; drop: a remark",
    )
    # A dropdown of the actions possible from the row's stage; only the columns to
    # fill are unlocked on the protected sheet; the date column takes dates.
    checks = {str(v.sqref): (v.type, v.formula1) for v in page.data_validations.dataValidation}
    assert checks[f"H{number['DHRC-PUNJAB-MULTAN']}"] == ("list", '"nominate_members,drop"')
    assert checks[f"K2:K{len(rows)}"][0] == "date"
    assert page.protection.sheet
    assert page.cell(number["DHRC-PUNJAB-MULTAN"], 6).protection.locked
    assert not page.cell(number["DHRC-PUNJAB-MULTAN"], 8).protection.locked

    page.cell(number["DHRC-PUNJAB"], 10).value = "Committees met in 30 of 36 districts"
    page.cell(number["DHRC-PUNJAB-MULTAN"], 8).value = "celebrate"
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    database = tmp_path / "taskforce.sqlite3"
    events = _event_count(database)

    refused = taskforce("import", "sheet", str(filled), "--as", SECRETARY)
    assert refused.code == 1
    assert refused.stderr.strip() == (
        "error: filled.xlsx: 1 row(s) cannot be applied"
        f" (first: row {number['DHRC-PUNJAB-MULTAN']});"
        " nothing was changed"
    )
    assert _event_count(database) == events

    page.cell(number["DHRC-PUNJAB-MULTAN"], 8).value = "nominate_members"
    page.cell(number["DHRC-PUNJAB-MULTAN"], 9).value = "members=9"
    book.save(filled)
    tried = taskforce("import", "sheet", str(filled), "--as", SECRETARY, "--dry-run", "--json")
    assert (tried.code, tried.stderr.strip()) == (0, "dry run: nothing was changed")
    assert _event_count(database) == events

    done = taskforce("import", "sheet", str(filled), "--as", SECRETARY, "--json")
    assert (done.code, done.stderr) == (0, "")
    report = json.loads(done.stdout)
    assert json.loads(tried.stdout)["rows"] == report["rows"]
    assert [(row["key"], row["outcome"]) for row in report["rows"]] == [
        ("DHRC-PUNJAB", "applied"),
        ("DHRC-PUNJAB-MULTAN", "applied"),
    ]
    assert _event_count(database) == events + 2

    unknown = taskforce("report", "sheet", "--scope", "atlantis")
    assert (unknown.code, unknown.stderr.strip()) == (
        1,
        "error: --scope atlantis: no open commitments there",
    )
