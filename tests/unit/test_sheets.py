"""Reading a filled sheet's rows (`states.sheets.parse`) and its file (`taskforce.sheets`)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from states import sheets
from states.errors import TaskforceError
from taskforce.sheets import read_rows, workbook


def _row(key: object = "PTF-PUNJAB", version: object = 1, **filled: object) -> dict[str, object]:
    names = {
        "action": sheets.ACTION,
        "values": sheets.VALUES,
        "remark": sheets.REMARK,
        "on": sheets.HAPPENED_ON,
    }
    return {sheets.KEY: key, sheets.VERSION: version} | {names[k]: v for k, v in filled.items()}


def test_filled_rows_become_requests_and_blank_rows_are_unchanged() -> None:
    parsed = sheets.parse(
        [
            (2, _row("cmb-punjab")),
            (3, _row(action="nominate_members", values="members = 9; note=", on=date(2026, 7, 1))),
            (4, _row("DHRC-PUNJAB", 3.0, remark="  Met   twice ", on=datetime(2026, 7, 2))),
            (5, _row("CSW-PUNJAB", "2", on="2026-07-03", action="withdraw", remark="Merged")),
        ]
    )

    assert parsed.problems == ()
    assert parsed.unchanged == 1
    assert parsed.requests == (
        sheets.RowRequest(3, "PTF-PUNJAB", 1, "nominate_members", None, date(2026, 7, 1),
                          {"members": "9"}),
        sheets.RowRequest(4, "DHRC-PUNJAB", 3, None, "Met twice", date(2026, 7, 2)),
        sheets.RowRequest(5, "CSW-PUNJAB", 2, "withdraw", "Merged", date(2026, 7, 3)),
    )  # fmt: skip
    assert sheets.comment(parsed.requests[0], "p.xlsx") == "From sheet p.xlsx row 3"
    assert sheets.comment(parsed.requests[1], "p.xlsx") == (
        "Met twice (from sheet p.xlsx row 4, dated 2026-07-02)"
    )
    assert sheets.comment(parsed.requests[2], "p.xlsx") == "Merged (from sheet p.xlsx row 5)"


def test_each_bad_row_is_named_with_its_reason() -> None:
    parsed = sheets.parse(
        [
            (2, _row(None, remark="who?")),
            (3, _row(version="one", remark="x")),
            (4, _row("CMB-PUNJAB", remark="x", on="soon")),
            (5, _row("DHRC-PUNJAB", on=date(2026, 7, 1))),
            (6, _row("CSW-PUNJAB", action="withdraw", values="nine")),
            (7, _row("DHRC-PUNJAB-LAHORE", remark="x", values="members=3")),
            (8, _row("CMB-PUNJAB-X", remark="x")),
            (9, _row("cmb-punjab-x", remark="again")),
        ]
    )

    assert parsed.requests[0].key == "CMB-PUNJAB-X"
    assert [(p.row, p.reason) for p in parsed.problems] == [
        (2, "the key is empty"),
        (3, "the version 'one' is not a whole number"),
        (4, "the date 'soon' is not a date (write it as 2026-11-20)"),
        (5, "a date alone says nothing: choose a new stage or write a remark"),
        (6, "the values: 'nine' is not name=value (e.g. members=7)"),
        (7, "values go with a new stage: choose one, or leave the values blank"),
        (9, "CMB-PUNJAB-X is already on row 8"),
    ]


def test_a_file_that_is_not_the_sheet_is_refused_in_one_line(tmp_path: Path) -> None:
    text = tmp_path / "notes.xlsx"
    text.write_text("key,version\n")
    with pytest.raises(TaskforceError, match=r"notes.xlsx: not an XLSX workbook"):
        read_rows(text)
    with pytest.raises(TaskforceError, match=r"nowhere.xlsx: no such file"):
        read_rows(tmp_path / "nowhere.xlsx")

    from openpyxl import Workbook

    book = Workbook()
    page = book.active
    assert page is not None
    page.append(["key", "remark"])
    other = tmp_path / "other.xlsx"
    book.save(other)
    with pytest.raises(TaskforceError) as refused:
        read_rows(other)
    assert refused.value.message == (
        f"{other}: the first row lacks the column(s) version, new stage / action,"
        " date it happened; start from a sheet made by `taskforce report sheet`"
    )


def test_a_district_sheet_is_titled_without_a_slash(tmp_path: Path) -> None:
    made = tmp_path / "lahore.xlsx"
    made.write_bytes(workbook([], scope="punjab/lahore", made_at=datetime(2026, 7, 27, 4, 0)))

    from openpyxl import load_workbook

    page = load_workbook(made).active
    assert page is not None
    assert page.title == "punjab-lahore"
    assert read_rows(made) == []
