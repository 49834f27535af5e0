"""The digest archive and one digest's page."""

from __future__ import annotations

from datetime import timedelta

from db.digest import content_of, record_digests
from db.engine import transaction
from db.models import Digest
from tests.web.conftest import WEB_NOW, Site

CHAIR = "chair@example.org"
CS_PUNJAB = "cs.punjab@example.org"
CS_SINDH = "cs.sindh@example.org"
OFFICER = "law.officer.punjab@example.org"


def record(site: Site, *, days_ago: int) -> dict[str, int]:
    """Digests for every reader, made `days_ago` days before the test's now: id by scope."""
    app = site.installation
    with transaction(app.sessions) as session:
        made = record_digests(
            session, app.catalogue, app.calendar, now=WEB_NOW - timedelta(days=days_ago)
        )
        return {digest.scope: digest.id for digest in made}


def test_the_archive_lists_the_readers_digests_newest_first(site: Site) -> None:
    older = record(site, days_ago=7)
    newer = record(site, days_ago=0)
    page = site.browser(CHAIR).get("/digests")
    assert page.status_code == 200
    text = page.text
    assert text.index(f'href="/digests/{newer["federal"]}"') < text.index(
        f'href="/digests/{older["federal"]}"'
    )
    for scope_id in [*older.values(), *newer.values()]:
        assert f'href="/digests/{scope_id}"' in text


def test_a_chief_secretary_sees_only_their_provinces_digests(site: Site) -> None:
    made = record(site, days_ago=1)
    text = site.browser(CS_PUNJAB).get("/digests").text
    assert f'href="/digests/{made["punjab"]}"' in text
    assert f'href="/digests/{made["federal"]}"' not in text
    assert f'href="/digests/{made["sindh"]}"' not in text


def test_an_officer_may_not_read_digests(site: Site) -> None:
    made = record(site, days_ago=1)
    officer = site.browser(OFFICER)
    assert officer.get("/digests").status_code == 403
    assert officer.get(f"/digests/{made['punjab']}").status_code == 403


def test_a_digest_page_shows_its_items_by_province(site: Site) -> None:
    made = record(site, days_ago=0)
    response = site.browser(CHAIR).get(f"/digests/{made['federal']}")
    assert response.status_code == 200
    with transaction(site.installation.sessions) as session:
        digest = session.get(Digest, made["federal"])
        assert digest is not None
        content = content_of(digest)
    items = list(content.items())
    assert items, "the bundled meeting has stalled items by now"
    for item in items:
        assert f'href="/commitments/{item.key}"' in response.text
        assert f"Overdue by {item.overdue_days} working days" in response.text
        if item.level:
            assert f"Escalation level {item.level}" in response.text
    for group in content.groups:
        assert f'id="province-{group.province}"' in response.text
    assert "style=" not in response.text


def test_a_chief_secretary_may_not_read_the_chairs_digest(site: Site) -> None:
    made = record(site, days_ago=0)
    cs = site.browser(CS_PUNJAB)
    assert cs.get(f"/digests/{made['punjab']}").status_code == 200
    refused = cs.get(f"/digests/{made['federal']}")
    assert refused.status_code == 403
    assert "federal" in refused.text
    assert cs.get(f"/digests/{made['sindh']}").status_code == 403


def test_a_second_digest_shows_what_changed(site: Site) -> None:
    record(site, days_ago=14)
    made = record(site, days_ago=0)
    text = site.browser(CHAIR).get(f"/digests/{made['federal']}").text
    assert "What changed since the last digest" in text
    assert "Previous digest" in text


def test_an_unknown_digest_is_404_with_a_pointer_to_the_archive(site: Site) -> None:
    response = site.browser(CHAIR).get("/digests/999999")
    assert response.status_code == 404
    assert "/digests" in response.text
    assert site.browser(CHAIR).get("/digests/not-a-number").status_code == 400
