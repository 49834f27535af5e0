"""A move recorded late, dated when it happened: its clock, due time and escalations follow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db import escalations, queries, workflow
from db.engine import transaction
from db.sweep import SweepReport
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.effective import start_of_day
from states.errors import FieldError

LAW_OFFICER = "law.officer.punjab@example.org"
RECORDED = datetime(2026, 6, 25, 5, 0, tzinfo=UTC)  # Thursday 25 June, 10:00 in Pakistan


def move(
    sessions: sessionmaker[Session],
    catalogue: Catalogue,
    *,
    on: date,
    now: datetime = RECORDED,
    max_days_back: int = 14,
) -> workflow.Advanced:
    with transaction(sessions) as session:
        return workflow.advance(
            session,
            catalogue,
            key="CMB-PUNJAB",
            action="send_for_vetting",
            actor_email=LAW_OFFICER,
            now=now,
            effective_at=start_of_day(on, now=now),
            max_days_back=max_days_back,
        )


def stored(sessions: sessionmaker[Session]) -> dict[str, Any]:
    with sessions() as session:
        commitment = queries.get_commitment(session, "CMB-PUNJAB")
        last = queries.history(session, commitment)[-1]
        return {
            "stage": commitment.stage,
            "stage_entered_at": commitment.stage_entered_at,
            "due_at": commitment.due_at,
            "stage_seq": commitment.stage_seq,
            "events": len(queries.history(session, commitment)),
            "last": (last.at, last.effective_at),
        }


def test_a_move_dated_three_days_back_is_due_counted_from_that_date(
    loaded: Catalogue, sessions: sessionmaker[Session]
) -> None:
    happened = start_of_day(date(2026, 6, 22), now=RECORDED)

    move(sessions, loaded, on=date(2026, 6, 22))

    after = stored(sessions)
    limit = loaded.latest("provincial_bill").stage("law_vetting").time_limit
    assert limit is not None
    assert after["stage"] == "law_vetting"
    assert after["stage_entered_at"] == happened
    assert after["due_at"] == WorkingCalendar().due_at(happened, limit, "punjab")
    assert after["due_at"] < WorkingCalendar().due_at(RECORDED, limit, "punjab")
    assert after["last"] == (RECORDED, happened)


@pytest.mark.parametrize(
    ("on", "max_days_back", "says"),
    [
        pytest.param(
            date(2026, 6, 10),
            30,
            "the move can't be dated before the previous event on 2026-06-12 00:00",
            id="before-the-meeting-loaded-it",
        ),
        pytest.param(date(2026, 6, 26), 14, "the move can't be dated in the future", id="tomorrow"),
        pytest.param(
            date(2026, 6, 15), 5, "the move can't be dated more than 5 days back", id="too-far"
        ),
    ],
)
def test_a_refused_date_changes_nothing_and_says_which_rule(
    loaded: Catalogue, sessions: sessionmaker[Session], on: date, max_days_back: int, says: str
) -> None:
    before = stored(sessions)

    with pytest.raises(FieldError) as refused:
        move(sessions, loaded, on=on, max_days_back=max_days_back)

    assert refused.value.message.startswith(f"Can't send_for_vetting CMB-PUNJAB: {says}")
    assert refused.value.fields == ("effective_at",)
    assert stored(sessions) == before


def test_the_sweep_escalates_by_the_effective_clock(
    loaded: Catalogue,
    sessions: sessionmaker[Session],
    sweep: Callable[..., SweepReport],
    escalations_stored: Callable[..., list[dict[str, Any]]],
) -> None:
    recorded = datetime(2026, 7, 20, 5, 0, tzinfo=UTC)
    # Sent for vetting on 1 July, recorded on 20 July: law vetting's ten working days are over.
    move(sessions, loaded, on=date(2026, 7, 1), now=recorded, max_days_back=30)
    episode = stored(sessions)["stage_seq"]
    assert stored(sessions)["due_at"] < recorded

    report = sweep(datetime(2026, 7, 21, 5, 0, tzinfo=UTC))

    rungs = [row for row in escalations_stored("CMB-PUNJAB") if row["stage_seq"] == episode]
    assert rungs and {row["reason"] for row in rungs} == {"stage_limit"}
    assert "CMB-PUNJAB" in {notice.key for notice in report.escalations}


def test_an_acknowledgement_can_be_dated_when_it_was_given_but_not_before_the_move(
    loaded: Catalogue, sessions: sessionmaker[Session], sweep: Callable[..., SweepReport]
) -> None:
    move(
        sessions,
        loaded,
        on=date(2026, 7, 1),
        now=datetime(2026, 7, 20, 5, tzinfo=UTC),
        max_days_back=30,
    )
    sweep(datetime(2026, 7, 21, 5, 0, tzinfo=UTC))
    recorded = datetime(2026, 7, 23, 5, 0, tzinfo=UTC)

    def acknowledge(on: date) -> int:
        with transaction(sessions) as session:
            return escalations.acknowledge(
                session,
                key="CMB-PUNJAB",
                actor_email="law.secretary.punjab@example.org",
                reason="the Law Department has the draft",
                now=recorded,
                effective_at=start_of_day(on, now=recorded),
            )

    with pytest.raises(FieldError, match="can't be dated before the previous event on 2026-07-01"):
        acknowledge(date(2026, 6, 30))
    assert acknowledge(date(2026, 7, 22)) > 0
    assert stored(sessions)["last"] == (recorded, start_of_day(date(2026, 7, 22), now=recorded))
