"""A changed working calendar moves the due times of open items, visibly, on both databases.

A day the Sindh government closes its offices moves a Sindh item counted in working
days by one working day and says so in its history; a Punjab item, a paused item and
clocks of calendar days or months are left alone; applying the same calendar again
changes nothing; and the sweep applies it by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db import pausing, pipelines, queries, rescheduling, workflow
from db.engine import transaction
from db.models import Commitment, Event
from db.sweep import run_sweep
from states.actors import SYSTEM_ACTOR
from states.calendar import ClosedDay, WorkingCalendar, local_day
from states.catalogue import Catalogue, Source
from states.definition import Clock, Pipeline
from states.rescheduling import due_day

SINDH = "CSW-SINDH"
PUNJAB = "CSW-PUNJAB"
SECRETARY = "women.secretary.sindh@example.org"
# The day the calendar changes: before either item falls due.
CHANGED_AT = datetime(2026, 6, 16, 5, 0, tzinfo=UTC)


def _unit(sessions: sessionmaker[Session]) -> rescheduling.Unit:
    return lambda: transaction(sessions)


def _apply(
    sessions: sessionmaker[Session], catalogue: Catalogue, calendar: WorkingCalendar, **more: Any
) -> rescheduling.CalendarApplied:
    return rescheduling.apply_calendar(
        _unit(sessions), catalogue, calendar, now=more.pop("now", CHANGED_AT), **more
    )


def _row(sessions: sessionmaker[Session], key: str) -> Commitment:
    with sessions() as session:
        commitment = queries.get_commitment(session, key)
        session.expunge(commitment)
        return commitment


def _events(sessions: sessionmaker[Session], key: str, kind: str) -> list[Event]:
    with sessions() as session:
        commitment = queries.get_commitment(session, key)
        return list(
            session.scalars(
                select(Event)
                .where(Event.commitment_id == commitment.id, Event.kind == kind)
                .order_by(Event.seq)
            )
        )


def _closing_in(commitment: Commitment, jurisdiction: str) -> WorkingCalendar:
    """A calendar closing, in `jurisdiction`, the working day before the item falls due."""
    assert commitment.due_at is not None
    last = due_day(commitment.due_at)
    day = last - timedelta(days=1)
    while not WorkingCalendar().is_working_day(day, commitment.jurisdiction):
        day -= timedelta(days=1)
    assert day > local_day(commitment.stage_entered_at)
    return WorkingCalendar(
        closed_days=(
            ClosedDay(
                date=day, name="Offices closed by the Sindh government", jurisdiction=jurisdiction
            ),
        )
    )


def _working_clock(catalogue: Catalogue, commitment: Commitment) -> bool:
    stage = catalogue.get(commitment.pipeline_key, commitment.pipeline_version).stage(
        commitment.stage
    )
    return stage.time_limit is not None and stage.clock is Clock.WORKING_DAYS


def test_a_day_closed_in_sindh_moves_a_sindh_item_by_one_working_day_and_says_so(
    sessions: sessionmaker[Session], loaded: Catalogue
) -> None:
    sindh, punjab = _row(sessions, SINDH), _row(sessions, PUNJAB)
    assert _working_clock(loaded, sindh) and _working_clock(loaded, punjab)
    assert sindh.due_at is not None and punjab.due_at is not None
    calendar = _closing_in(sindh, "sindh")
    closed = calendar.closed_days[0].date

    first = _apply(sessions, loaded, calendar, batch_size=7)

    assert first.changed and first.skipped == []
    moved = _row(sessions, SINDH)
    expected = WorkingCalendar().add_working_days(due_day(sindh.due_at), 1, "sindh")
    assert moved.due_at is not None and due_day(moved.due_at) == expected
    assert moved.version == sindh.version + 1
    assert SINDH in first.rescheduled and PUNJAB not in first.rescheduled
    (event,) = _events(sessions, SINDH, "rescheduled")
    assert event.actor_email == "system" and event.to_stage == sindh.stage
    assert event.fields == {
        "from": due_day(sindh.due_at).isoformat(),
        "to": expected.isoformat(),
        "closed": closed.isoformat(),
        "why": "Offices closed by the Sindh government",
    }
    # Punjab's offices were open that day: its item is as it was.
    assert _row(sessions, PUNJAB).due_at == punjab.due_at
    assert _row(sessions, PUNJAB).version == punjab.version
    assert _events(sessions, PUNJAB, "rescheduled") == []

    # The same calendar again: nothing looked at, nothing changed.
    again = _apply(sessions, loaded, calendar, now=CHANGED_AT + timedelta(hours=1))
    assert (again.changed, again.rescheduled) == (False, [])
    assert _row(sessions, SINDH).version == moved.version
    assert len(_events(sessions, SINDH, "rescheduled")) == 1

    # The day reopened (the closure withdrawn): the item goes back, saying so once more.
    back = _apply(sessions, loaded, WorkingCalendar(), now=CHANGED_AT + timedelta(hours=2))
    assert SINDH in back.rescheduled
    assert _row(sessions, SINDH).due_at == sindh.due_at
    latest = _events(sessions, SINDH, "rescheduled")[-1]
    assert (latest.fields["from"], latest.fields["to"]) == (
        expected.isoformat(),
        due_day(sindh.due_at).isoformat(),
    )


def test_only_items_whose_due_time_moves_are_written(
    sessions: sessionmaker[Session], loaded: Catalogue
) -> None:
    """A first application (nothing recorded yet) of the calendar the items were counted by."""
    with sessions() as session:
        before = session.scalar(select(func.count()).select_from(Event))
        versions = dict(session.execute(select(Commitment.key, Commitment.version)).all())

    applied = _apply(sessions, loaded, WorkingCalendar())

    assert applied.changed and applied.rescheduled == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == before
        assert dict(session.execute(select(Commitment.key, Commitment.version)).all()) == versions


def _counting(pipeline: Pipeline, clock: str, version: int) -> Pipeline:
    """`pipeline` as another version, its first stage's ten-unit limit counted by `clock`."""
    written = pipeline.model_dump(mode="json", by_alias=True, exclude_none=True)
    first = {**written["stages"][0], "time_limit": 1 if clock == "months" else 10, "clock": clock}
    stages = [first, *written["stages"][1:]]
    return Pipeline.model_validate({**written, "version": version, "stages": stages})


@pytest.mark.parametrize("clock", ["calendar_days", "months"])
def test_calendar_day_and_month_clocks_are_not_moved_by_a_closed_day(
    sessions: sessionmaker[Session], loaded: Catalogue, clock: str
) -> None:
    counting = _counting(loaded.latest("commission_appointment"), clock, version=90)
    with transaction(sessions) as session:
        pipelines.register(session, Catalogue([Source(counting, "test")]), now=CHANGED_AT)
        catalogue = pipelines.registered(session)
        key = f"CAL-{clock.upper().replace('_', '-')}"
        workflow.create(
            session,
            catalogue,
            workflow.NewCommitment(
                key=key,
                title="A commission counted in calendar time",
                pipeline="commission_appointment",
                jurisdiction="sindh",
                department="women_development",
                start_date=local_day(CHANGED_AT),
                started_at=CHANGED_AT,
            ),
            actor=SYSTEM_ACTOR,
        )
    item = _row(sessions, key)
    assert item.pipeline_version == 90 and item.due_at is not None
    # Every weekday of the next year closed in Sindh: a working-day clock would move far.
    start = local_day(CHANGED_AT)
    everything = WorkingCalendar(
        closed_days=tuple(
            ClosedDay(date=day, name="Closed", jurisdiction="sindh")
            for day in (start + timedelta(days=n) for n in range(1, 366))
            if day.weekday() < 5
        )
    )

    applied = _apply(sessions, catalogue, everything)

    assert key not in applied.rescheduled and SINDH in applied.rescheduled
    assert _row(sessions, key).due_at == item.due_at
    assert _events(sessions, key, "rescheduled") == []


def test_a_paused_item_takes_the_new_calendar_when_it_resumes(
    sessions: sessionmaker[Session], loaded: Catalogue
) -> None:
    sindh = _row(sessions, SINDH)
    calendar = _closing_in(sindh, "sindh")
    with transaction(sessions) as session:
        pausing.pause(
            session,
            key=SINDH,
            actor_email=SECRETARY,
            reason="A court's stay",
            until=None,
            now=CHANGED_AT - timedelta(hours=1),
        )

    applied = _apply(sessions, loaded, calendar)

    assert SINDH not in applied.rescheduled
    assert _row(sessions, SINDH).due_at is None
    with transaction(sessions) as session:
        pausing.resume(session, loaded, calendar, key=SINDH, actor_email=SECRETARY, now=CHANGED_AT)
        resumed = queries.get_commitment(session, SINDH)
        pipeline = loaded.get(resumed.pipeline_key, resumed.pipeline_version)
        assert resumed.due_at == workflow.due_at_of(pipeline, resumed, calendar)
        assert resumed.due_at != workflow.due_at_of(pipeline, resumed, WorkingCalendar())


def test_the_sweep_applies_a_changed_calendar_once(
    sessions: sessionmaker[Session], loaded: Catalogue
) -> None:
    sindh = _row(sessions, SINDH)
    calendar = _closing_in(sindh, "sindh")

    first = run_sweep(sessions, loaded, calendar, now=CHANGED_AT, present=CHANGED_AT)
    second = run_sweep(
        sessions, loaded, calendar, now=CHANGED_AT + timedelta(hours=1), present=CHANGED_AT
    )

    assert SINDH in first.rescheduled and first.as_dict()["rescheduled"] == first.rescheduled
    assert second.rescheduled == []
    assert len(_events(sessions, SINDH, "rescheduled")) == 1


def test_a_sweep_that_only_looks_moves_nothing(
    sessions: sessionmaker[Session], loaded: Catalogue, stored: Callable[..., dict[str, Any]]
) -> None:
    sindh = _row(sessions, SINDH)
    calendar = _closing_in(sindh, "sindh")
    before = stored(SINDH)

    ahead = run_sweep(
        sessions, loaded, calendar, now=CHANGED_AT + timedelta(days=30), present=CHANGED_AT
    )

    assert ahead.dry_run and SINDH in ahead.rescheduled
    assert stored(SINDH) == before
    with sessions() as session:
        assert rescheduling.applied_fingerprint(session) is None
