"""Effective dates: a move recorded late says when it happened, within the rule's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from states import rules
from states.actors import Actor, Role
from states.calendar import PAKISTAN_TIME
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.effective import DatingLimits, dating_problem, start_of_day
from states.errors import FieldError
from states.rules import CommitmentState, Status, TransitionRequest

BILL = Catalogue.from_directories([BUNDLED_PIPELINES]).latest("provincial_bill")
ENTERED = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)  # 1 July, 11:00 in Pakistan
NOW = datetime(2026, 7, 9, 5, 0, tzinfo=UTC)  # 9 July, 10:00 in Pakistan
OFFICER = Actor(email="officer@example.org", role=Role.OFFICER, jurisdiction="punjab")
SECRETARY = Actor(email="secretary@example.org", role=Role.SECRETARY, jurisdiction="punjab")


def drafting() -> CommitmentState:
    return CommitmentState(
        key="PB-1",
        pipeline="provincial_bill",
        pipeline_version=BILL.version,
        jurisdiction="punjab",
        stage="drafting",
        status=Status.OPEN,
        stage_entered_at=ENTERED,
    )


def send(
    on: datetime | None, actor: Actor = OFFICER, *, max_days_back: int | None = None
) -> rules.Outcome:
    request = TransitionRequest(action="send_for_vetting", actor=actor, effective_at=on)
    dating = DatingLimits(ENTERED, max_days_back) if max_days_back is not None else None
    return rules.apply(BILL, drafting(), request, now=NOW, dating=dating)


def test_a_move_dated_earlier_starts_the_stage_clock_then_and_is_recorded_now() -> None:
    on = start_of_day(date(2026, 7, 7), now=NOW)

    outcome = send(on)

    assert on == datetime(2026, 7, 7, 9, 0, tzinfo=PAKISTAN_TIME)
    assert outcome.state.stage_entered_at == on
    assert (outcome.event.at, outcome.event.effective_at) == (NOW, on)
    assert outcome.event.happened_at == on


def test_a_move_without_a_date_happened_when_it_was_recorded() -> None:
    outcome = send(None)

    assert outcome.state.stage_entered_at == NOW
    assert outcome.event.effective_at is None
    assert outcome.event.happened_at == NOW


@pytest.mark.parametrize(
    ("on", "actor", "says"),
    [
        pytest.param(
            NOW + timedelta(days=1),
            OFFICER,
            "the move can't be dated in the future (2026-07-10 10:00; now is 2026-07-09 10:00)",
            id="future",
        ),
        pytest.param(
            ENTERED - timedelta(days=1),
            SECRETARY,
            "the move can't be dated before the previous event on 2026-07-01 11:00",
            id="before-the-previous-event",
        ),
    ],
)
def test_a_date_the_rule_refuses_names_the_rule(on: datetime, actor: Actor, says: str) -> None:
    with pytest.raises(FieldError) as refused:
        send(on, actor)

    assert refused.value.message == f"Can't send_for_vetting PB-1: {says}"
    assert refused.value.fields == ("effective_at",)
    assert refused.value.problems == {"effective_at": says}


def test_only_a_secretary_or_above_may_date_a_move_further_back_than_the_limit() -> None:
    far = start_of_day(date(2026, 7, 2), now=NOW)  # a week back, with a limit of 5 days

    with pytest.raises(FieldError, match=r"more than 5 days back \(2026-07-02\); a secretary"):
        send(far, OFFICER, max_days_back=5)
    assert send(far, SECRETARY, max_days_back=5).state.stage_entered_at == far
    assert send(far, OFFICER, max_days_back=14).state.stage_entered_at == far


def test_a_day_given_alone_is_the_start_of_that_working_day_but_never_after_now() -> None:
    early = datetime(2026, 7, 9, 2, 0, tzinfo=UTC)  # 07:00 in Pakistan, before the day starts

    assert start_of_day(date(2026, 7, 9), now=early) == early
    assert start_of_day(date(2026, 7, 8), now=early) == datetime(
        2026, 7, 8, 9, 0, tzinfo=PAKISTAN_TIME
    )


def test_the_rule_holds_at_its_edges() -> None:
    limits = DatingLimits(previous=ENTERED, max_days_back=8)
    officer = Role.OFFICER

    assert dating_problem(ENTERED, role=officer, now=NOW, limits=limits) is None  # 8 days back
    tighter = DatingLimits(previous=ENTERED, max_days_back=7)
    assert "more than 7 days back" in (
        dating_problem(ENTERED, role=officer, now=NOW, limits=tighter) or ""
    )
    assert dating_problem(NOW + timedelta(minutes=4), role=officer, now=NOW, limits=limits) is None
    naive = datetime(2026, 7, 8, 9, 0)
    assert "has no time zone" in (dating_problem(naive, role=officer, now=NOW, limits=limits) or "")
