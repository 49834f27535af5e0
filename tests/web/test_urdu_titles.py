"""Urdu pages name commitments, pipelines, stages, actions and fields by their Urdu titles."""

from __future__ import annotations

from tests.web.conftest import Site, csrf_of
from tests.web.pages import text_of

CHAIR = "chair@example.org"


def test_a_reader_of_urdu_sees_urdu_titles_on_every_page(site: Site) -> None:
    chair = site.browser(CHAIR)
    english = {
        path: text_of(chair.get(path).text)
        for path in ("/board", "/commitments/CMB-PUNJAB", "/pipelines/provincial_bill")
    }
    chair.post(
        "/preferences/language",
        data={"language": "ur", "next": "/board", "csrf_token": csrf_of(chair, "/board")},
    )

    board = text_of(chair.get("/board").text)
    item = chair.get("/commitments/CMB-PUNJAB").text
    pipeline = chair.get("/pipelines/provincial_bill").text

    # The board: lanes by pipeline, columns by stage, in Urdu.
    assert "صوبائی بل" in board and "مسودہ سازی" in board
    assert "Provincial bill" not in board and "Drafting" not in board
    # The commitment: its title, pipeline and the stages drawn at the top.
    assert "<h1>پنجاب میں شادی کی کم از کم عمر 18 سال" in item
    assert "Enact a child marriage restraint law" not in text_of(item)
    assert "محکمہ قانون کی جانچ" in item and "Law Department vetting" not in item
    # Its place and department by their names, not their keys.
    assert "<dd>پنجاب</dd>" in item and "<dd>قانون</dd>" in item
    # The pipeline page and its diagram: stages, actions and fields.
    for title in ("صوبائی بل", "گورنر کی توثیق", "جانچ کے لیے محکمہ قانون کو بھیجیں", "بل نمبر"):
        assert title in pipeline
    for title in ("Passed by the assembly", "Send to the Law Department", "Bill number"):
        assert title not in pipeline
    # The meeting that made the decision, by its Urdu title.
    assert "انسانی حقوق کی قومی ٹاسک فورس کا آٹھواں اجلاس" in item
    assert "National Task Force on Human Rights" not in text_of(item)
    # Nothing bundled is untranslated, so nothing is marked as English.
    assert 'class="untranslated"' not in item + pipeline
    # English pages keep the English titles.
    assert "Provincial bill" in english["/board"]
    assert "Enact a child marriage restraint law in Punjab" in english["/commitments/CMB-PUNJAB"]
    assert "8th meeting of the National Task Force" in english["/commitments/CMB-PUNJAB"]
    assert "Jurisdiction Punjab Department Law" in english["/commitments/CMB-PUNJAB"]
    assert "Governor" in english["/pipelines/provincial_bill"]
