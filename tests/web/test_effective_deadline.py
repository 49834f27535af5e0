"""The deadline in effect: the decided deadline moved on by the whole days its clocks stood
paused, the same day on the commitment page, in the API and for the sweep."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from db import pausing, workflow
from db.engine import transaction
from db.sweep import run_sweep
from notifications import formatting
from taskforce.web.i18n import plural_translator
from tests.web.conftest import WEB_NOW, Site
from tests.web.pages import text_of
from tests.web.test_urdu_messages import choose

BILL = "CMB-PUNJAB"  # decided with a deadline of 12 December 2026
CS_PUNJAB = "cs.punjab@example.org"
STAY = "The High Court stayed the bill"
COMMISSION = "CSW-PUNJAB"  # decided with a deadline of 12 July 2026
WOMEN_OFFICER = "women.officer.punjab@example.org"


def paused_between(site: Site, key: str, start: datetime, end: datetime) -> None:
    with transaction(site.installation.sessions) as session:
        pausing.pause(session, key=key, actor_email=CS_PUNJAB, reason=STAY, until=None, now=start)
    with transaction(site.installation.sessions) as session:
        app = site.installation
        pausing.resume(
            session, app.catalogue, app.calendar, key=key, actor_email=CS_PUNJAB, now=end
        )


def test_the_page_and_the_api_show_the_deadline_moved_on_by_the_pause(site: Site) -> None:
    # Four days and 23 hours: a part of a day counts as a day, so five days.
    paused_between(site, BILL, WEB_NOW - timedelta(days=5), WEB_NOW - timedelta(hours=1))

    item = site.api(CS_PUNJAB).get(f"/api/v1/commitments/{BILL}").json()
    assert (item["deadline"], item["effective_deadline"]) == ("2026-12-12", "2026-12-17")
    listed = site.api(CS_PUNJAB).get("/api/v1/commitments?limit=100").json()["items"]
    assert {i["key"]: i["effective_deadline"] for i in listed}[BILL] == "2026-12-17"

    browser = site.browser(CS_PUNJAB)
    page = text_of(browser.get(f"/commitments/{BILL}").text)
    assert "Deadline 17 December 2026 (moved on by 5 days of pause from 12 December 2026)" in page
    urdu = text_of(choose(browser, "ur").get(f"/commitments/{BILL}").text)
    moved = plural_translator("ur")(
        "moved on by {n} day of pause from {day}",
        "moved on by {n} days of pause from {day}",
        5,
        day=formatting.day(date(2026, 12, 12), "ur"),
    )
    assert moved in urdu and "pause" not in urdu


def test_an_item_never_paused_shows_its_deadline_as_decided(site: Site) -> None:
    item = site.api(CS_PUNJAB).get(f"/api/v1/commitments/{BILL}").json()
    assert item["deadline"] == item["effective_deadline"] == "2026-12-12"
    page = text_of(site.browser(CS_PUNJAB).get(f"/commitments/{BILL}").text)
    assert "Deadline 12 December 2026" in page and "of pause" not in page


def test_the_due_time_and_the_sweep_count_the_same_whole_days_of_pause(site: Site) -> None:
    app = site.installation
    # Shortlisted on 10 July: the 12 July deadline comes before the new stage's limit.
    with transaction(app.sessions) as session:
        workflow.advance(
            session,
            app.catalogue,
            key=COMMISSION,
            action="shortlist",
            actor_email=WOMEN_OFFICER,
            fields={"shortlist_size": "5"},
            now=datetime(2026, 7, 10, 6, 0, tzinfo=UTC),
        )
    # A day and a half paused moves the deadline on by two whole days: to 14 July.
    paused_between(
        site,
        COMMISSION,
        datetime(2026, 7, 11, 0, 0, tzinfo=UTC),
        datetime(2026, 7, 12, 12, 0, tzinfo=UTC),
    )
    item = site.api(CS_PUNJAB).get(f"/api/v1/commitments/{COMMISSION}").json()
    assert item["effective_deadline"] == "2026-07-14"
    assert item["timing"]["due_reason"] == "deadline"
    # Due as the moved deadline's last day ends, not a day and a half after the first's.
    assert item["timing"]["due_at"] == "2026-07-14T19:00:00Z"

    # The sweep finds it overdue only once that day has ended.
    run_sweep(app.sessions, app.catalogue, app.calendar, now=datetime(2026, 7, 14, 18, tzinfo=UTC))
    before = site.api(CS_PUNJAB).get(f"/api/v1/commitments/{COMMISSION}").json()
    assert before["timing"]["ladder_level"] is None
    run_sweep(app.sessions, app.catalogue, app.calendar, now=datetime(2026, 7, 16, 6, tzinfo=UTC))
    after = site.api(CS_PUNJAB).get(f"/api/v1/commitments/{COMMISSION}").json()
    assert after["timing"]["ladder_level"] is not None
