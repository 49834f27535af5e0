"""`taskforce report decisions-template` and `taskforce import decisions` from the shell.

A 9th meeting filled into the template is previewed (exit 0, nothing kept), imported
(exit 0) and imported again (nothing changes); a bad row exits 65 naming its row and
column; a CSV of decisions takes its meeting from the options.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

NEW = ["ACID-PUNJAB", "Enact an acid attack law in Punjab", "provincial_bill", "punjab", "law"]
RESTATED = [
    "CMB-PUNJAB",
    "Enact a child marriage restraint law in Punjab setting the minimum marriage age at 18",
    "provincial_bill",
    "punjab",
    "law",
    "law.officer.punjab@example.org",
    "2",
    None,
    date(2027, 3, 31),
]


def test_a_9th_meeting_is_previewed_imported_and_a_bad_row_refused(
    taskforce: Callable[..., Any], tmp_path: Path
) -> None:
    assert taskforce("load").code == 0
    made = taskforce("report", "decisions-template", "--out", "ninth.xlsx")
    assert made.code == 0, made.stderr
    book = load_workbook(tmp_path / "ninth.xlsx")
    assert book.sheetnames == ["meeting", "people", "decisions"]
    meeting = book["meeting"]
    meeting["B2"], meeting["B3"], meeting["B4"] = "ntf_hr_09", "9th meeting", "2026-09-10"
    book["decisions"].append(RESTATED)
    book["decisions"].append(NEW)
    book.save(tmp_path / "ninth.xlsx")
    book["decisions"].append(["BAD-1", "A bad row", "no_such_pipeline", "punjab", "law"])
    book.save(tmp_path / "bad.xlsx")

    bad = taskforce("import", "decisions", "bad.xlsx")
    assert bad.code == 65
    assert "bad.xlsx decisions row 4: pipeline: no pipeline 'no_such_pipeline'" in bad.stderr
    preview = taskforce("import", "decisions", "ninth.xlsx", "--preview")
    assert preview.code == 0, preview.stderr
    assert "added: ACID-PUNJAB" in preview.stdout
    assert "amended: CMB-PUNJAB" in preview.stdout
    assert "nothing was changed" in preview.stdout
    assert taskforce("show", "ACID-PUNJAB").code != 0

    imported = taskforce("import", "decisions", "ninth.xlsx")
    assert imported.code == 0, imported.stderr
    assert "added: ACID-PUNJAB" in imported.stdout
    assert "deadline: 31 March 2027" in taskforce("show", "CMB-PUNJAB").stdout
    again = taskforce("import", "decisions", "ninth.xlsx")
    assert again.code == 0 and "nothing changed" in again.stdout

    (tmp_path / "more.csv").write_text(
        "key,title,pipeline,jurisdiction,department\nX-9,A thing,provincial_bill,punjab,law\n",
        encoding="utf-8",
    )
    unnamed = taskforce("import", "decisions", "more.csv")
    assert unnamed.code == 1 and "--meeting KEY --title TITLE --held-on DATE" in unnamed.stderr
    named = taskforce(
        "import",
        "decisions",
        "more.csv",
        "--meeting",
        "ntf_hr_09",
        "--title",
        "9th meeting",
        "--held-on",
        "2026-09-10",
    )
    assert named.code == 0, named.stderr
    assert "added: X-9" in named.stdout
