"""An enacted bill starts what its act requires: recording CMB-PUNJAB's gazette notification
starts CMB-PUNJAB-ACT (post_enactment) as its child, in the same transaction, exactly once;
after a deemed assent too; a withdrawn bill starts nothing. On both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db import queries, workflow
from db.models import Commitment
from db.sweep import SweepReport
from states.calendar import end_of_day, local_day
from states.catalogue import Catalogue
from states.errors import CommitmentClosedError
from states.follow_up import FollowUpRefusedError

Advance = Callable[..., workflow.Advanced]
Stored = Callable[..., dict[str, Any]]

LAW_OFFICER = "law.officer.punjab@example.org"
LAW_SECRETARY = "law.secretary.punjab@example.org"
CHIEF_SECRETARY = "cs.punjab@example.org"
GAZETTE = {"act_number": "Act XIV of 2026", "gazette_notification": "PJG-2026-991"}

TO_ASSENT: list[tuple[str, str, dict[str, str], str | None]] = [
    ("send_for_vetting", LAW_OFFICER, {}, None),
    ("vet", LAW_SECRETARY, {}, None),
    ("approve_in_cabinet", CHIEF_SECRETARY, {"cabinet_decision": "CAB-2026-41"}, None),
    (
        "introduce",
        CHIEF_SECRETARY,
        {"bill_number": "Bill No. 12 of 2026", "introduced_on": "2026-06-15"},
        None,
    ),
    ("pass", LAW_OFFICER, {"passed_on": "2026-06-15"}, None),
    ("send_for_assent", LAW_OFFICER, {}, None),
]
TO_REPRESENTATION = [
    *TO_ASSENT,
    ("return_by_governor", LAW_SECRETARY, {}, "The governor asks that clause 4 be reconsidered"),
    ("pass_again", LAW_OFFICER, {"passed_again_on": "2026-06-15"}, None),
]


def _walk(advance: Advance, steps: list[tuple[str, str, dict[str, str], str | None]]) -> None:
    for action, actor, fields, comment in steps:
        advance("CMB-PUNJAB", action, actor, fields=fields, comment=comment)


def _follow_ups(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).where(Commitment.key == "CMB-PUNJAB-ACT")) or 0


def _assert_started_by(follow_up: dict[str, Any], enacting: workflow.Advanced) -> None:
    """CMB-PUNJAB-ACT, just started under the bill by the system, saying why."""
    assert follow_up["pipeline"] == ("post_enactment", 1)
    assert (follow_up["stage"], follow_up["status"]) == ("rules_drafting", "open")
    [created] = follow_up["history"]
    assert (created["kind"], created["actor"], created["role"]) == ("created", "system", "system")
    assert created["at"] == enacting.event.at
    assert created["to"] == "rules_drafting"
    assert created["comment"] == (
        "CMB-PUNJAB reached Gazette notified (enacted)"
        " (Act number: Act XIV of 2026; Gazette notification number: PJG-2026-991)"
    )


def test_enacting_the_bill_starts_its_rules_and_bodies_as_its_child(
    loaded: Catalogue,
    advance: Advance,
    stored: Stored,
    sessions: sessionmaker[Session],
) -> None:
    _walk(advance, TO_ASSENT)
    assert _follow_ups(sessions) == 0

    enacting = advance("CMB-PUNJAB", "notify_in_gazette", LAW_OFFICER, fields=GAZETTE)

    assert enacting.commitment.status == "completed"
    _assert_started_by(stored("CMB-PUNJAB-ACT"), enacting)
    with sessions() as session:
        bill = queries.get_commitment(session, "CMB-PUNJAB")
        act = queries.get_commitment(session, "CMB-PUNJAB-ACT")
        assert act.parent_id == bill.id
        assert [child.key for child in queries.children(session, bill)] == ["CMB-PUNJAB-ACT"]
        assert (act.jurisdiction, act.department) == (bill.jurisdiction, bill.department)
        assert act.officer is not None and act.officer.email == LAW_OFFICER
        assert act.title == (
            "Rules and bodies under the act: Enact a child marriage restraint law in Punjab"
            " setting the minimum marriage age at 18"
        )
        assert act.title_ur is not None
        assert act.title_ur.startswith("ایکٹ کے تحت قواعد اور ادارے: پنجاب میں")
        # Ninety calendar days for the rules, counted from the enactment.
        assert act.due_at == end_of_day(local_day(enacting.event.at) + timedelta(days=90))
        assert queries.inconsistent_keys(session) == []

    # Its officer takes it on like any commitment of the Law Department.
    moved = advance("CMB-PUNJAB-ACT", "send_rules_for_vetting", LAW_OFFICER)
    assert moved.commitment.stage == "rules_vetting"

    # The move is not taken twice, so neither is the follow-up started twice.
    with pytest.raises(CommitmentClosedError):
        advance("CMB-PUNJAB", "notify_in_gazette", LAW_OFFICER, fields=GAZETTE)
    assert _follow_ups(sessions) == 1


def test_a_deemed_assent_then_the_gazette_notification_starts_it_too(
    loaded: Catalogue,
    advance: Advance,
    sweep: Callable[..., SweepReport],
    stored: Stored,
    sessions: sessionmaker[Session],
) -> None:
    _walk(advance, TO_REPRESENTATION)
    day = local_day(stored("CMB-PUNJAB")["stage_entered_at"])
    report = sweep(end_of_day(day + timedelta(days=10)) + timedelta(minutes=1))
    assert report.acted_at_time_limit == ["CMB-PUNJAB"]
    assert stored("CMB-PUNJAB")["stage"] == "assent_deemed"
    assert _follow_ups(sessions) == 0, "deemed assent is not yet enactment"

    enacting = advance("CMB-PUNJAB", "notify_in_gazette", LAW_OFFICER, fields=GAZETTE)

    _assert_started_by(stored("CMB-PUNJAB-ACT"), enacting)


def test_a_withdrawn_bill_starts_nothing(
    loaded: Catalogue, advance: Advance, stored: Stored, sessions: sessionmaker[Session]
) -> None:
    advance("CMB-PUNJAB", "withdraw", CHIEF_SECRETARY, comment="Replaced by a federal law")
    assert stored("CMB-PUNJAB")["status"] == "withdrawn"
    assert _follow_ups(sessions) == 0
    with sessions() as session:
        assert queries.children(session, queries.get_commitment(session, "CMB-PUNJAB")) == []


def test_a_follow_up_key_already_taken_refuses_the_enactment_and_nothing_moves(
    loaded: Catalogue,
    advance: Advance,
    make_commitment: Callable[..., Commitment],
    stored: Stored,
) -> None:
    _walk(advance, TO_ASSENT)
    make_commitment("CMB-PUNJAB-ACT", "action_task", "punjab", title="Something else")
    before = stored("CMB-PUNJAB")

    with pytest.raises(FollowUpRefusedError) as refused:
        advance("CMB-PUNJAB", "notify_in_gazette", LAW_OFFICER, fields=GAZETTE)

    assert refused.value.exit_code == 5
    assert str(refused.value) == (
        "Can't notify_in_gazette CMB-PUNJAB: it would start its follow-up CMB-PUNJAB-ACT,"
        " but another commitment already has that key; nothing was moved"
    )
    assert stored("CMB-PUNJAB") == before
    assert stored("CMB-PUNJAB-ACT")["pipeline"] == ("action_task", 1)
