"""Reading a filled sheet's rows (`states.sheets.parse`) and its file (`taskforce.sheets`)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from states import sheets
from states.errors import TaskforceError
from states.evidence import Upload
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
        " date it happened; start from the sheet made for you (the board's download, or report"
        " sheet)"
    )


def test_a_district_sheet_is_titled_without_a_slash(tmp_path: Path) -> None:
    made = tmp_path / "lahore.xlsx"
    made.write_bytes(workbook([], scope="punjab/lahore", made_at=datetime(2026, 7, 27, 4, 0)))

    from openpyxl import load_workbook

    page = load_workbook(made).active
    assert page is not None
    assert page.title == "punjab-lahore"
    assert read_rows(made) == []


def test_an_uploaded_file_is_read_only_when_it_is_a_small_xlsx_workbook() -> None:
    made = workbook([], scope="punjab", made_at=datetime(2026, 7, 27))
    named = Upload(name="C:\\sheets\\punjab.xlsx", content=made)
    assert sheets.check_file(named, max_bytes=10**6) == "punjab.xlsx"
    refusals = [
        (Upload(name="empty.xlsx", content=b""), "the file empty.xlsx is empty"),
        (Upload(name="big.xlsx", content=made[:10], full_size=2_000_000), "the file big.xlsx is"
         " 1.9 MB; the limit is 976.6 KB"),
        (Upload(name="letter.pdf", content=b"%PDF-1.4"), "the file letter.pdf is not an XLSX"
         " workbook; send the sheet downloaded from the board, filled in and saved as XLSX"),
    ]  # fmt: skip
    for upload, reason in refusals:
        with pytest.raises(sheets.SheetFileError) as refused:
            sheets.check_file(upload, max_bytes=10**6)
        assert refused.value.message == reason


def test_a_small_file_that_unpacks_to_too_much_is_refused_unread() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (sheets.UNPACKED_MAX_BYTES + 1))
    bomb = buffer.getvalue()
    assert len(bomb) < 1_000_000

    with pytest.raises(sheets.SheetTooLargeError, match=r"unpacks to 64\.0 MB"):
        sheets.check_file(Upload(name="bomb.xlsx", content=bomb), max_bytes=10**6)
