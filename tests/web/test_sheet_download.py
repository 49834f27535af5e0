"""The province's sheet from the board: the viewer's open commitments, read back with openpyxl."""

from __future__ import annotations

import io

import openpyxl

from tests.web.conftest import Site


def test_the_board_offers_the_sheet_of_the_viewers_province(site: Site) -> None:
    client = site.browser("law.secretary.punjab@example.org")
    assert 'href="/board/sheet.xlsx"' in client.get("/board").text

    response = client.get("/board/sheet.xlsx")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert response.headers["content-disposition"] == (
        'attachment; filename="punjab-2026-07-27.xlsx"'
    )
    page = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert page is not None
    rows = list(page.iter_rows(values_only=True))
    assert rows[0][:6] == ("key", "title", "department", "officer", "current stage", "version")
    keys = [row[0] for row in rows[1:]]
    assert "CMB-PUNJAB" in keys
    assert "DHRC-PUNJAB-LAHORE" in keys
    assert "CMB-KP" not in keys
    assert page.protection.sheet
