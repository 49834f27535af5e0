"""A due date moved by a changed calendar, as the commitment page and the API show it."""

from __future__ import annotations

from datetime import timedelta

from db import queries, rescheduling
from db.engine import transaction
from states.calendar import ClosedDay, WorkingCalendar
from states.rescheduling import due_day
from tests.web.conftest import WEB_NOW, Site
from tests.web.pages import text_of

ITEM = "CSW-SINDH"
PAGE = f"/commitments/{ITEM}"
CS_SINDH = "cs.sindh@example.org"  # reads Urdu
CHAIR = "chair@example.org"
WHY = "Ashura (announced at short notice)"


def _close_a_day_in_sindh(site: Site) -> tuple[str, str, str]:
    """Close, in Sindh, the working day before the item falls due; apply it; the days as ISO."""
    app = site.installation
    with app.sessions() as session:
        due_at = queries.get_commitment(session, ITEM).due_at
    assert due_at is not None
    before = due_day(due_at)
    closed = before - timedelta(days=1)
    while not WorkingCalendar().is_working_day(closed, "sindh"):
        closed -= timedelta(days=1)
    calendar = WorkingCalendar(
        closed_days=(ClosedDay(date=closed, name=WHY, jurisdiction="sindh"),)
    )
    done = rescheduling.apply_calendar(
        lambda: transaction(app.sessions), app.catalogue, calendar, now=WEB_NOW
    )
    assert ITEM in done.rescheduled
    after = WorkingCalendar().add_working_days(before, 1, "sindh")
    return before.isoformat(), after.isoformat(), closed.isoformat()


def test_the_history_says_the_due_date_moved_and_why_in_english_and_urdu(site: Site) -> None:
    before, after, closed = _close_a_day_in_sindh(site)

    page = text_of(site.browser(CHAIR).get(PAGE).text)
    assert f"Due date moved from {before} to {after}" in page
    assert f"the calendar now closes {closed} ({WHY})" in page
    urdu = site.browser(CS_SINDH).get(PAGE).text
    assert "مقررہ تاریخ" in urdu and "کیلنڈر اب" in urdu
    assert "Due date moved" not in urdu

    history = site.api(CS_SINDH).get(f"/api/v1/commitments/{ITEM}").json()["history"]
    assert (history[-1]["kind"], history[-1]["actor"]) == ("rescheduled", "system")
    assert history[-1]["fields"] == {"from": before, "to": after, "closed": closed, "why": WHY}
