"""Remarks with files on the commitment page and through the API, and the files served back."""

from __future__ import annotations

import hashlib
import re

from tests.web.conftest import Site, csrf_of
from tests.web.pages import stage_of, text_of

ITEM = "CMB-PUNJAB"
PAGE = f"/commitments/{ITEM}"
OFFICER = "law.officer.punjab@example.org"
SINDH_OFFICER = "law.officer.sindh@example.org"
PDF = b"%PDF-1.7\n% Notification No. SO(LAW)/2026-77\n%%EOF\n"
PDF_HASH = hashlib.sha256(PDF).hexdigest()


def test_a_remark_with_a_pdf_is_in_the_timeline_and_its_file_is_served_safely(
    site: Site,
) -> None:
    browser = site.browser(OFFICER)
    before = stage_of(site, ITEM)
    sent = browser.post(
        f"{PAGE}/notes",
        data={"csrf_token": csrf_of(browser, PAGE), "text": "Draft shared with <Law>"},
        files={"attachments": ("C:\\scans\\notice.pdf", PDF, "text/html")},
    )
    assert sent.status_code == 303, sent.text[:500]
    assert stage_of(site, ITEM) == before  # same stage, same version: open forms stay current

    page = browser.get(PAGE)
    text = text_of(page.text)
    assert "Remark added to CMB-PUNJAB." in text
    assert "Draft shared with &lt;Law&gt;" in page.text  # escaped, never markup
    link = re.search(r'<a href="(/evidence/[0-9a-f]{64})" download>notice\.pdf</a>', page.text)
    assert link and link.group(1) == f"/evidence/{PDF_HASH}"

    served = browser.get(link.group(1))
    assert served.status_code == 200
    assert served.content == PDF
    assert served.headers["content-type"] == "application/pdf"  # from the content, not the sender
    assert served.headers["content-disposition"].startswith('attachment; filename="notice.pdf"')
    assert served.headers["x-content-type-options"] == "nosniff"
    # Someone who cannot see the item is told the file does not exist.
    assert site.browser(SINDH_OFFICER).get(link.group(1)).status_code == 404
    assert browser.get(f"/evidence/{'0' * 64}").status_code == 404
    assert site.anonymous().get(link.group(1)).status_code == 303  # to the sign-in page


def test_a_refused_file_is_named_beside_the_form_and_the_text_kept(site: Site) -> None:
    browser = site.browser(OFFICER)
    sent = browser.post(
        f"{PAGE}/notes",
        data={"csrf_token": csrf_of(browser, PAGE), "text": "see the program"},
        files={"attachments": ("setup.pdf", b"MZ\x90\x00 a program", "application/pdf")},
    )
    assert sent.status_code == 422
    text = text_of(sent.text)
    assert "the file setup.pdf is not an accepted kind of file; accepted: PDF, PNG" in text
    assert ">see the program</textarea>" in sent.text


def test_the_api_takes_remarks_as_json_and_files_as_multipart(site: Site) -> None:
    api = site.api(OFFICER)
    as_json = api.post(f"/api/v1/commitments/{ITEM}/notes", json={"text": "Draft ready"})
    assert as_json.status_code == 200, as_json.text
    record = as_json.json()
    assert record["history"][-1]["kind"] == "note"
    assert record["history"][-1]["comment"] == "Draft ready"
    assert record["version"] == 1

    with_file = api.post(
        f"/api/v1/commitments/{ITEM}/notes",
        data={"text": ""},
        files={"attachments": ("notice.pdf", PDF, "application/pdf")},
    )
    assert with_file.status_code == 200, with_file.text
    assert with_file.json()["history"][-1]["attachments"] == [
        {
            "sha256": PDF_HASH,
            "name": "notice.pdf",
            "size": len(PDF),
            "media_type": "application/pdf",
        }
    ]

    empty = api.post(f"/api/v1/commitments/{ITEM}/notes", json={"text": " "})
    assert empty.status_code == 422
    wrong = api.post(
        f"/api/v1/commitments/{ITEM}/notes",
        files={"attachments": ("a.png", b"GIF89a", "image/png")},
    )
    assert wrong.status_code == 422
    assert "not an accepted kind of file" in wrong.json()["error"]["message"]
    other = site.api(SINDH_OFFICER).post(
        f"/api/v1/commitments/{ITEM}/notes", json={"text": "not mine"}
    )
    assert other.status_code == 403


def test_the_board_card_shows_the_latest_remark(site: Site) -> None:
    api = site.api(OFFICER)
    for words in ("First word", "Bill <b>sent</b> to the cabinet wing"):
        assert api.post(f"/api/v1/commitments/{ITEM}/notes", json={"text": words}).is_success
    # The bills' lane: the whole board is more than a page.
    board = site.browser("chair@example.org").get("/board?pipeline=provincial_bill")
    card = re.search(
        rf'<li class="card[^"]*">\s*<a href="/commitments/{ITEM}".*?</li>', board.text, re.S
    )
    assert card, board.text[:1000]
    assert "Bill &lt;b&gt;sent&lt;/b&gt; to the cabinet wing" in card.group(0)
    assert "First word" not in card.group(0)


def test_a_move_on_the_page_can_carry_a_file(site: Site) -> None:
    browser = site.browser(OFFICER)
    sent = browser.post(
        f"{PAGE}/advance",
        data={
            "csrf_token": csrf_of(browser, PAGE),
            "action": "send_for_vetting",
            "expected_version": "1",
        },
        files={"attachments": ("draft.pdf", PDF, "application/pdf")},
    )
    assert sent.status_code == 303, sent.text[:500]
    assert stage_of(site, ITEM) == ("law_vetting", 2)
    page = browser.get(PAGE)
    assert f'<a href="/evidence/{PDF_HASH}" download>draft.pdf</a>' in page.text
