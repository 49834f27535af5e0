"""A sweep "as of" a moment that has not come yet only looks: the real sweep still escalates.

Each rung is recorded once per stall episode, so a sweep run as of next year used
to record every rung with its mail due a year ahead, and the real sweep then had
nothing left to record. Now such a sweep is a dry run: it reports what it would
escalate (and lapse, and roll up) in transactions that are rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Commitment, Escalation, Event, OutboxMessage
from db.sweep import run_sweep
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.moments import CLOCK_SKEW, MomentOutOfRangeError

# The real present of these tests: six weeks after the bundled meeting, when items stall.
PRESENT = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)
NEXT_YEAR = PRESENT + timedelta(days=365)


def _written(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Everything a sweep could write: escalations, messages, events, commitment versions."""
    with sessions() as session:
        return {
            "escalations": session.scalar(select(func.count()).select_from(Escalation)),
            "messages": session.scalar(select(func.count()).select_from(OutboxMessage)),
            "events": session.scalar(select(func.count()).select_from(Event)),
            "versions": dict(session.execute(select(Commitment.key, Commitment.version)).all()),
        }


def _sweep(sessions: sessionmaker[Session], catalogue: Catalogue, **options: Any) -> Any:
    return run_sweep(sessions, catalogue, WorkingCalendar(), present=PRESENT, **options)


def test_a_sweep_as_of_next_year_records_nothing_and_the_real_sweep_still_escalates(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    escalations_stored: Callable[..., list[dict[str, Any]]],
) -> None:
    before = _written(sessions)

    ahead = _sweep(sessions, loaded, now=NEXT_YEAR)

    assert ahead.dry_run is True
    assert ahead.as_dict()["dry_run"] is True
    # It reports what it would do a year on: every open item stalled, escalations, lapses.
    assert ahead.stalled > 0
    assert ahead.escalations
    assert _written(sessions) == before

    real = _sweep(sessions, loaded, now=PRESENT)

    assert real.dry_run is False
    assert real.escalations, "the real sweep found its rungs already used up"
    stored = escalations_stored()
    assert len(stored) == len(real.escalations) + len(real.reminders)
    assert all(e["created_at"] == PRESENT for e in stored)
    assert all(e["messages"] for e in stored if e["recipients"])


@pytest.mark.parametrize(
    "moment",
    [PRESENT - timedelta(days=1), PRESENT + CLOCK_SKEW],
    ids=["yesterday", "a-clock-a-little-ahead"],
)
def test_replaying_the_past_or_a_clock_a_little_ahead_records(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    escalations_stored: Callable[..., list[dict[str, Any]]],
    moment: datetime,
) -> None:
    report = _sweep(sessions, loaded, now=moment)

    assert report.dry_run is False
    assert len(escalations_stored()) == len(report.escalations) + len(report.reminders) > 0


def test_a_simulation_records_at_its_own_future_moment(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    escalations_stored: Callable[..., list[dict[str, Any]]],
) -> None:
    report = _sweep(sessions, loaded, now=NEXT_YEAR, simulated=True)

    assert report.dry_run is False
    assert {e["created_at"] for e in escalations_stored()} == {NEXT_YEAR}
    assert report.lapsed or report.escalations


def test_a_moment_outside_the_calendar_is_refused_before_anything_is_written(
    sessions: sessionmaker[Session], loaded: Catalogue
) -> None:
    before = _written(sessions)

    for moment in (datetime(9999, 12, 31, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)):
        with pytest.raises(MomentOutOfRangeError):
            _sweep(sessions, loaded, now=moment, simulated=True)

    assert _written(sessions) == before
