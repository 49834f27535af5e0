"""Long lists a page at a time: the board, "My items" and the API walked page by page.

Walking every page returns every item in scope exactly once and in the urgency order,
even when items are added or move between two page fetches; a damaged cursor is a 4xx
that names it; search finds by key, title, officer and reference and never outside the
reader's jurisdiction; a saved view's link reproduces its filter.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from db import workflow
from db.engine import transaction
from db.models import Commitment, CommitmentRef, Person
from states.actors import SYSTEM_ACTOR
from states.paging import DUE, urgency_band
from taskforce.web.saved_views import VIEWS
from tests.web.conftest import LOADED_AT, WEB_NOW, Site

CHAIR = "chair@example.org"
CS_PUNJAB = "cs.punjab@example.org"
OFFICER = "law.officer.punjab@example.org"
CARD = re.compile(r'<li class="card[^"]*">\s*<a href="/commitments/([A-Z0-9-]+)">')
ITEM = re.compile(r'<p class="item-key"><a href="/commitments/([A-Z0-9-]+)">')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')

UrgencyKey = tuple[int, datetime | None, str]


def urgency(site: Site, *where: object) -> dict[str, UrgencyKey]:
    """Each matching commitment's place in the urgency order, read from the database."""
    with transaction(site.installation.sessions) as session:
        rows = session.execute(
            select(Commitment.key, Commitment.status, Commitment.due_at).where(*where)  # type: ignore[arg-type]
        ).all()
    found: dict[str, UrgencyKey] = {}
    for key, status, due_at in rows:
        band = urgency_band(status, due_at)
        found[key] = (band, due_at if band == DUE else None, key)
    return found


def order_key(place: UrgencyKey) -> tuple[int, datetime, str]:
    band, due_at, key = place
    return band, due_at or datetime.min.replace(tzinfo=WEB_NOW.tzinfo), key


def walk(
    client: TestClient,
    first: str,
    pattern: re.Pattern[str],
    between: Callable[[int], None] = lambda _: None,
) -> list[list[str]]:
    """The keys on each page, following "Next page" links; `between(n)` runs after page n."""
    pages: list[list[str]] = []
    address: str | None = first
    while address is not None:
        response = client.get(address)
        assert response.status_code == 200, response.text[:2000]
        pages.append(pattern.findall(response.text))
        between(len(pages))
        found = NEXT.search(response.text)
        address = html.unescape(found.group(1)) if found else None
        assert len(pages) < 100, "the pages never end"
    return pages


def assert_in_order(pages: list[list[str]], places: dict[str, UrgencyKey]) -> None:
    """Every page's items come after every item of the pages before it."""
    for earlier, later in itertools.pairwise(pages):
        assert max(order_key(places[k]) for k in earlier) < min(order_key(places[k]) for k in later)


def test_walking_the_board_shows_every_item_once_most_urgent_first(site: Site) -> None:
    pages = walk(site.browser(CHAIR), "/board?size=4", CARD)
    places = urgency(site)
    keys = [key for page in pages for key in page]
    assert len(pages) > 2 and all(len(page) <= 4 for page in pages)
    assert sorted(keys) == sorted(places), "every commitment exactly once"
    assert_in_order(pages, places)


PREVIOUS = re.compile(r'<a href="([^"]+)" rel="prev">')


def test_previous_links_walk_the_same_pages_back(site: Site) -> None:
    browser = site.browser(CHAIR)
    forward = walk(browser, "/board?size=4", CARD)
    address = "/board?size=4"
    while True:  # to the last page
        page = browser.get(address).text
        found = NEXT.search(page)
        if found is None:
            break
        address = html.unescape(found.group(1))
    backward = []
    while True:
        backward.append(CARD.findall(page))
        found = PREVIOUS.search(page)
        if found is None:
            break
        page = browser.get(html.unescape(found.group(1))).text
    assert [sorted(p) for p in reversed(backward)] == [sorted(p) for p in forward]
    items = site.browser(CS_PUNJAB)
    second = items.get(html.unescape(NEXT.findall(items.get("/items?size=3").text)[0])).text
    back = items.get(html.unescape(PREVIOUS.findall(second)[0])).text
    assert ITEM.findall(back) == ITEM.findall(items.get("/items?size=3").text)
    assert not PREVIOUS.search(back), "the first page has no previous page"
    refused = items.get("/items?before=r.")
    assert refused.status_code == 400 and "before: this page link is damaged" in refused.text


def test_my_items_pages_follow_the_urgency_order_exactly(site: Site) -> None:
    # The chief secretary holds nothing: the page lists Punjab's open commitments.
    pages = walk(site.browser(CS_PUNJAB), "/items?size=3", ITEM)
    places = urgency(
        site,
        Commitment.status == "open",
        (Commitment.jurisdiction == "punjab") | Commitment.jurisdiction.startswith("punjab/"),
    )
    keys = [key for page in pages for key in page]
    assert len(pages) > 1
    assert keys == sorted(places, key=lambda k: order_key(places[k]))


def test_an_item_added_or_moved_between_pages_leaves_the_others_once_each(site: Site) -> None:
    before = urgency(site)
    moved: set[str] = set()

    def change(page: int) -> None:
        if page != 1:
            return
        with transaction(site.installation.sessions) as session:
            workflow.create(
                session,
                site.installation.catalogue,
                workflow.NewCommitment(
                    key="NEW-ITEM",
                    title="Added while the board was read",
                    pipeline="action_task",
                    jurisdiction="punjab",
                    department="law",
                    start_date=date(2026, 6, 12),
                    started_at=LOADED_AT,
                ),
                actor=SYSTEM_ACTOR,
            )
            ordered = sorted(before, key=lambda k: order_key(before[k]))
            # One item from far down the list moves to the top, one from the first page
            # moves to the end of the due items.
            for key, due_at in (
                (ordered[-8], WEB_NOW - timedelta(days=400)),
                (ordered[0], WEB_NOW + timedelta(days=400)),
            ):
                session.execute(
                    update(Commitment)
                    .where(Commitment.key == key)
                    .values(due_at=due_at, status="open")
                )
                moved.add(key)

    pages = walk(site.browser(CHAIR), "/board?size=5", CARD, between=change)
    keys = [key for page in pages for key in page]
    unchanged = set(before) - moved
    assert sorted(k for k in keys if k in unchanged) == sorted(unchanged)
    assert keys.count("NEW-ITEM") <= 1


def test_walking_the_api_lists_by_cursor(site: Site) -> None:
    client = site.api(CHAIR)
    seen: list[str] = []
    after: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 4}
        if after:
            params["after"] = after
        page = client.get("/api/v1/commitments", params=params).json()
        seen += [item["key"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(urgency(site)) and page["total"] == len(seen)
    stalled: list[str] = []
    after = None
    while True:
        params = {"limit": 2}
        if after:
            params["after"] = after
        answer = client.get("/api/v1/stalled", params=params)
        assert answer.status_code == 200, answer.text
        stalled += [item["key"] for item in answer.json()["items"]]
        after = answer.json()["next"]
        if after is None:
            break
    overdue = urgency(site, Commitment.status == "open", Commitment.due_at <= WEB_NOW)
    assert stalled == sorted(overdue, key=lambda k: order_key(overdue[k])) and len(stalled) > 2


def test_a_damaged_cursor_is_refused_with_a_message_naming_it(site: Site) -> None:
    browser = site.browser(CHAIR)
    for address in ("/board?after=not-a-cursor", "/items?after=d.12x.CMB-PUNJAB"):
        response = browser.get(address)
        assert response.status_code == 400, address
        assert "after: this page link is damaged" in response.text
    api = site.api(CHAIR)
    for path, cursor in (("/api/v1/commitments", "d.1.CMB"), ("/api/v1/stalled", "k.CMB")):
        response = api.get(path, params={"after": cursor})
        assert response.status_code == 422, response.text
        assert "after" in response.json()["error"]["fields"]


def _search(client: TestClient, words: str) -> set[str]:
    answer = client.get("/api/v1/commitments", params={"q": words, "limit": 500})
    assert answer.status_code == 200, answer.text
    return {item["key"] for item in answer.json()["items"]}


def test_search_finds_by_key_title_officer_and_reference(site: Site) -> None:
    with transaction(site.installation.sessions) as session:
        key, title, name, email = session.execute(
            select(Commitment.key, Commitment.title, Person.name, Person.email)
            .join(Person, Person.id == Commitment.officer_id)
            .order_by(Commitment.key)
        ).first()  # type: ignore[misc]
        ref_key, kind, value = session.execute(
            select(Commitment.key, CommitmentRef.kind, CommitmentRef.value)
            .join(CommitmentRef, CommitmentRef.commitment_id == Commitment.id)
            .where(CommitmentRef.kind == "treaty")
        ).first()  # type: ignore[misc]
    client = site.api(CHAIR)
    assert key in _search(client, key.lower())
    assert key in _search(client, title.upper()[3:20])
    assert key in _search(client, name.split()[-1].lower())
    assert key in _search(client, email.upper())
    assert ref_key in _search(client, f"{kind}:{value}")
    assert ref_key in _search(client, value.partition("#")[0].lower())
    assert _search(client, "no such words anywhere") == set()
    assert _search(client, "100%_") == set(), "% and _ are matched literally"


def test_search_stays_inside_the_readers_jurisdiction(site: Site) -> None:
    sindh = set(urgency(site, Commitment.jurisdiction.startswith("sindh")))
    assert sindh and sindh <= _search(site.api(CHAIR), "sindh")
    officer = site.api(OFFICER)
    assert not _search(officer, "sindh") & sindh
    # A cursor invented to start just before a Sindh key still lists only Punjab items.
    first = min(sindh)
    crafted = officer.get("/api/v1/commitments", params={"after": f"k.{first[:-1]}"})
    assert crafted.status_code == 200
    assert {i["jurisdiction"].partition("/")[0] for i in crafted.json()["items"]} <= {"punjab"}
    board = site.browser(CS_PUNJAB).get("/board", params={"q": "sindh"})
    assert board.status_code == 200 and not set(CARD.findall(board.text)) & sindh
    crafted_board = site.browser(CS_PUNJAB).get(f"/board?after=r.{first[:-1]}")
    assert crafted_board.status_code == 200 and not set(CARD.findall(crafted_board.text)) & sindh


def test_the_board_searches_and_shows_titles_and_working_days(site: Site) -> None:
    browser = site.browser(CHAIR)
    page = browser.get("/board", params={"q": "cmb-punjab"})
    assert set(CARD.findall(page.text)) == {"CMB-PUNJAB"}
    assert 'value="cmb-punjab"' in page.text
    with transaction(site.installation.sessions) as session:
        title = session.scalar(select(Commitment.title).where(Commitment.key == "CMB-PUNJAB"))
    assert f'<span class="card-title">{html.escape(str(title))}</span>' in page.text
    overdue = browser.get("/board?stalled=1").text
    assert re.search(r"\+\d+ working days overdue", overdue)
    too_long = browser.get("/board", params={"q": "x" * 101})
    assert too_long.status_code == 400
    control = browser.get("/board", params={"q": "a\x07b"})
    assert control.status_code == 400 and "The search contains a control character" in control.text


def test_a_saved_views_link_reproduces_its_filter(site: Site) -> None:
    browser = site.browser(CHAIR)
    board = browser.get("/board").text
    for view in VIEWS:
        assert f'href="{html.escape(view.href)}"' in board, view.name
    overdue = next(view for view in VIEWS if dict(view.query).get("stalled"))
    by_link = browser.get(overdue.href).text
    by_form = browser.get("/board", params={"stalled": "1"}).text
    assert CARD.findall(by_link) == CARD.findall(by_form)
    assert 'id="filter-stalled" name="stalled" value="1" checked' in by_link
    punjab = browser.get("/board?jurisdiction=punjab").text
    keys = set(CARD.findall(punjab))
    assert keys and keys == set(urgency(site, Commitment.jurisdiction.startswith("punjab")))
    # A view of a place outside the reader's jurisdiction is not offered.
    officer_board = site.browser(CS_PUNJAB).get("/board")
    assert "jurisdiction=sindh" not in officer_board.text
