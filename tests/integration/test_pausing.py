"""Pausing an item's clocks (a court's stay, a prorogued assembly) and resuming them, on both
databases: while paused it is not escalated; once resumed its due time has moved on by the
time it stood still."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db import pausing, queries, workflow
from db.engine import transaction
from db.sweep import SweepReport
from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.errors import AccessDeniedError, ConflictError
from states.pausing import PauseRefusedError

KEY = "CSW-SINDH"
SECRETARY = "women.secretary.sindh@example.org"
# Monday 22 June, 10:00 in Pakistan: the day before its stage's seven working days end.
PAUSED_AT = datetime(2026, 6, 22, 5, 0, tzinfo=UTC)


def _pause(sessions: sessionmaker[Session], **given: Any) -> None:
    asked: dict[str, Any] = {
        "key": KEY,
        "actor_email": SECRETARY,
        "reason": "Sindh High Court stay order of 22 June on the selection of members",
        "until": date(2026, 6, 26),
        "now": PAUSED_AT,
    } | given
    with transaction(sessions) as session:
        pausing.pause(session, **asked)


def _due(sessions: sessionmaker[Session]) -> datetime | None:
    with sessions() as session:
        return queries.get_commitment(session, KEY).due_at


def test_a_paused_item_is_not_escalated_and_its_due_time_moves_by_the_pause(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    sweep: Callable[..., SweepReport],
    stored: Callable[..., dict[str, Any]],
) -> None:
    due_before = _due(sessions)
    assert due_before is not None
    _pause(sessions)
    assert _due(sessions) is None

    # Past its due time while paused: the others escalate, it does not.
    during = sweep(due_before + timedelta(days=1))
    assert during.now < datetime(2026, 6, 26, 19, 0, tzinfo=UTC)
    escalated = {notice.key for notice in during.escalations}
    assert "CSW-PUNJAB" in escalated and KEY not in escalated
    assert during.resumed == []

    # The first sweep after 26 June has ended starts its clocks again: five days later.
    after = sweep(PAUSED_AT + timedelta(days=5))
    assert after.resumed == [KEY]
    assert _due(sessions) == due_before + timedelta(days=5)
    kinds = [(e["kind"], e["actor"], e["fields"], e["comment"]) for e in stored(KEY)["history"]]
    assert kinds[-2:] == [
        (
            "paused",
            SECRETARY,
            {"until": "2026-06-26"},
            "Sindh High Court stay order of 22 June on the selection of members",
        ),
        ("resumed", "system", {"paused_days": "5"}, None),
    ]


def test_resumed_by_hand_the_stage_clock_gets_only_the_pause_spent_in_its_stage(
    sessions: sessionmaker[Session], loaded: Catalogue, advance: Callable[..., Any]
) -> None:
    _pause(sessions, until=None, now=datetime(2026, 6, 14, 5, 0, tzinfo=UTC))
    # A move while paused: the new stage's clock starts then, still standing still.
    moved = advance(KEY, "shortlist", SECRETARY, fields={"shortlist_size": "9"})
    entered = moved.commitment.stage_entered_at
    assert _due(sessions) is None
    resumed_at = entered + timedelta(days=3)
    with transaction(sessions) as session:
        pausing.resume(
            session, loaded, WorkingCalendar(), key=KEY, actor_email=SECRETARY, now=resumed_at
        )
        commitment = queries.get_commitment(session, KEY)
        assert commitment.stage_paused_seconds == 3 * 86_400
        assert commitment.deadline_paused_seconds == int(
            (resumed_at - datetime(2026, 6, 14, 5, 0, tzinfo=UTC)).total_seconds()
        )
        running = workflow.due_at_of(
            loaded.get(commitment.pipeline_key, commitment.pipeline_version),
            commitment,
            WorkingCalendar(),
        )
    assert _due(sessions) == running


@pytest.mark.parametrize(
    ("given", "refusal", "says"),
    [
        pytest.param(
            {"actor_email": "women.officer.sindh@example.org"},
            AccessDeniedError,
            "is not a secretary or above over it",
            id="an-officer",
        ),
        pytest.param(
            {"actor_email": "women.secretary.punjab@example.org"},
            AccessDeniedError,
            "is not a secretary or above over it",
            id="another-province",
        ),
        pytest.param({"reason": "  "}, PauseRefusedError, "the reason is empty", id="no-reason"),
        pytest.param(
            {"until": date(2026, 6, 14)}, PauseRefusedError, "that day has passed", id="past-end"
        ),
    ],
)
def test_a_pause_is_refused_with_why_and_changes_nothing(
    sessions: sessionmaker[Session],
    loaded: Catalogue,
    stored: Callable[..., dict[str, Any]],
    given: dict[str, Any],
    refusal: type[Exception],
    says: str,
) -> None:
    before = stored(KEY)
    with pytest.raises(refusal, match=says):
        _pause(sessions, **given)
    assert stored(KEY) == before


def test_pausing_twice_or_resuming_what_runs_is_refused_and_a_form_opened_before_is_stale(
    sessions: sessionmaker[Session], loaded: Catalogue, advance: Callable[..., Any]
) -> None:
    with sessions() as session:
        version = queries.get_commitment(session, KEY).version
    with pytest.raises(PauseRefusedError, match="it is not paused"):
        with transaction(sessions) as session:
            pausing.resume(
                session, loaded, WorkingCalendar(), key=KEY, actor_email=SECRETARY, now=PAUSED_AT
            )
    _pause(sessions)
    with pytest.raises(PauseRefusedError, match="it is paused already"):
        _pause(sessions)
    with pytest.raises(ConflictError):
        advance(
            KEY, "shortlist", SECRETARY, fields={"shortlist_size": "9"}, expected_version=version
        )
