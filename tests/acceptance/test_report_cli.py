"""`taskforce report matrix` as a user runs it: the file is written, a bad option is one line."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pypdfium2

from tests.acceptance.conftest import Run


def test_report_matrix_writes_the_working_paper(
    loaded_taskforce: Callable[..., Run], tmp_path: Path
) -> None:
    target = tmp_path / "paper.xlsx"
    done = loaded_taskforce("report", "matrix", "--scope", "punjab", "--out", str(target))
    assert done.code == 0, done.stderr
    assert f"rows written to {target}" in done.stdout
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None
    keys = [line[0] for line in sheet.iter_rows(min_row=2, values_only=True)]
    assert "CMB-PUNJAB" in keys
    assert "CMB-KP" not in keys

    target = tmp_path / "paper.csv"
    done = loaded_taskforce(
        "report", "matrix", "--format", "csv", "--lang", "ur", "--since", "2026-06-01",
        "--meeting", "ntf_hr_08", "--out", str(target),
    )  # fmt: skip
    assert done.code == 0, done.stderr
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "کلید"
    assert "1 جون، 2026" in rows[0][12]


def test_report_matrix_prints_the_urdu_paper_as_pdf(
    loaded_taskforce: Callable[..., Run], tmp_path: Path
) -> None:
    done = loaded_taskforce(
        "report", "matrix", "--format", "pdf", "--lang", "ur", "--scope", "sindh",
        "--out", str(tmp_path / "paper.pdf"),
    )  # fmt: skip
    assert done.code == 0, done.stderr
    content = (tmp_path / "paper.pdf").read_bytes()
    assert content.startswith(b"%PDF-")
    document = pypdfium2.PdfDocument(content)
    try:
        title = document.get_metadata_dict()["Title"]
        assert title == "ٹاسک فورس کے فیصلوں پر عمل درآمد کی صورتحال"
        page = document[0]
        width, height = page.get_size()
        assert width > height
        text = page.get_textpage()
        keys = text.get_text_range()
        text.close()
        assert "CSW-SINDH" in keys and "DHRC-SINDH" in keys
        assert "CSW-PUNJAB" not in keys
        page.close()
    finally:
        document.close()


def test_report_matrix_refuses_bad_options_in_one_line(
    loaded_taskforce: Callable[..., Run], tmp_path: Path
) -> None:
    for args, said in (
        (("--scope", "atlantis"), "error: --scope: unknown jurisdiction 'atlantis'"),
        (("--format", "odt"), "error: --format 'odt': use one of xlsx, docx, csv, pdf"),
    ):
        done = loaded_taskforce("report", "matrix", *args, "--out", str(tmp_path / "x.xlsx"))
        assert done.code not in (0, 70), done.stderr
        assert done.stderr.strip().startswith(said), done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.xlsx").exists()
