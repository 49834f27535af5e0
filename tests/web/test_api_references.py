"""References and tags on the web: the API's records and list filters, the commitment page."""

from __future__ import annotations

from tests.web.conftest import Site

CHAIR = "chair@example.org"
OFFICER = "law.officer.punjab@example.org"


def test_the_list_filters_by_reference_and_tag_and_records_carry_them(site: Site) -> None:
    client = site.api(CHAIR)
    page = client.get("/api/v1/commitments", params={"ref": "SDG:05.3"}).json()
    assert [item["key"] for item in page["items"]] == [
        "CMB-BALOCHISTAN",
        "CMB-KP",
        "CMB-PUNJAB",
        "FSC-RULING-2023",
    ]
    assert page["total"] == 4
    assert {(tuple(i["refs"]), tuple(i["tags"])) for i in page["items"]} == {
        (("sdg:5.3",), ("child-marriage",))
    }
    women = client.get(
        "/api/v1/commitments", params={"ref": "treaty:CEDAW/C/PAK/CO/5#24", "tag": "women"}
    ).json()
    assert women["total"] == 4
    # The officer's own jurisdiction still bounds what the filter finds.
    mine = site.api(OFFICER).get("/api/v1/commitments", params={"tag": "child-marriage"}).json()
    assert [item["key"] for item in mine["items"]] == ["CMB-PUNJAB"]
    detail = client.get("/api/v1/commitments/CSW-SINDH").json()
    assert detail["refs"] == ["treaty:CEDAW/C/PAK/CO/5#24"]
    assert detail["tags"] == ["women"]


def test_a_malformed_reference_or_tag_is_refused_with_422_naming_the_kind(site: Site) -> None:
    client = site.api(CHAIR)
    bad_ref = client.get("/api/v1/commitments", params={"ref": "sdg:18.1"})
    assert bad_ref.status_code == 422
    error = bad_ref.json()["error"]
    assert "sdg reference 'sdg:18.1' is not in the sdg form" in error["message"]
    bad_tag = client.get("/api/v1/commitments", params={"tag": "child marriage"})
    assert bad_tag.status_code == 422
    assert "tag 'child marriage'" in bad_tag.json()["error"]["message"]


def test_the_commitment_page_shows_its_references_and_tags(site: Site) -> None:
    page = site.browser(CHAIR).get("/commitments/CSW-SINDH")
    assert page.status_code == 200
    assert "References" in page.text
    assert '<span class="badge" dir="ltr">treaty:CEDAW/C/PAK/CO/5#24</span>' in page.text
    assert '<span class="badge">women</span>' in page.text
