"""My items, the board and Needs you read the database a fixed number of times, however many
cards the page has."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from db.sweep import run_sweep
from tests.web.conftest import WEB_NOW, Site

CHAIR = "chair@example.org"


@contextmanager
def counted(site: Site) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = site.installation.engine

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_my_items_reads_the_same_number_of_times_for_a_few_cards_or_a_page_of_them(
    site: Site,
) -> None:
    browser = site.browser(CHAIR)
    browser.get("/items")  # the first visit warms what is read once per process
    with counted(site) as few:
        assert browser.get("/items?size=2").status_code == 200
    with counted(site) as many:
        assert browser.get("/items?size=20").status_code == 200

    assert len(many) == len(few), "\n".join(many)


def test_the_board_reads_the_same_number_of_times_for_a_few_cards_or_a_page_of_them(
    site: Site,
) -> None:
    browser = site.browser(CHAIR)
    browser.get("/board")
    with counted(site) as few:
        assert browser.get("/board?size=2").status_code == 200
    with counted(site) as many:
        assert browser.get("/board?size=20").status_code == 200

    assert len(many) == len(few), "\n".join(many)


def test_needs_you_reads_the_same_number_of_times_for_a_few_items_or_a_page_of_them(
    site: Site,
) -> None:
    app = site.installation
    run_sweep(app.sessions, app.catalogue, app.calendar, now=WEB_NOW)
    browser = site.browser(CHAIR)
    browser.get("/needs-you")  # the first visit records one, so the next ones show changes
    with counted(site) as few:
        assert browser.get("/needs-you?size=2").status_code == 200
    with counted(site) as many:
        page = browser.get("/needs-you?size=20")
        assert page.status_code == 200
    assert page.text.count('class="item-card') > 2

    assert len(many) == len(few), "\n".join(many)
    # Only the page is read, and the counts stop at their limit: two bounded queries,
    # however many items are in scope.
    assert sum("LIMIT" in statement for statement in many) == 2, "\n".join(many)
