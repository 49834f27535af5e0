"""The rules for changing people and who holds an item (states/people.py), without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from states import people
from states.actors import Actor, Role
from states.errors import AccessDeniedError, RoleNotAllowedError, TransitionError
from states.escalation import Candidate, Item, recipients
from states.rules import CommitmentState, EventKind, Status

NOW = datetime(2026, 7, 1, 5, 0, tzinfo=UTC)
ADMIN = Actor(email="admin@example.org", role=Role.ADMINISTRATOR, jurisdiction="federal")
CHAIR = Actor(email="chair@example.org", role=Role.CHAIR, jurisdiction="federal")
PUNJAB_SECRETARY = Actor(email="sec@example.org", role=Role.SECRETARY, jurisdiction="punjab")
SINDH_SECRETARY = Actor(email="sec.s@example.org", role=Role.SECRETARY, jurisdiction="sindh")
OFFICER = Actor(email="off@example.org", role=Role.OFFICER, jurisdiction="punjab")
VALID = {
    "email": "new.officer@example.org",
    "name": "Ayesha Khan",
    "role": "officer",
    "jurisdiction": "punjab/lahore",
    "department": "law",
    "language": "ur",
}


def state(status: Status = Status.OPEN, jurisdiction: str = "punjab") -> CommitmentState:
    return CommitmentState(
        key="CMB-PUNJAB",
        pipeline="provincial_bill",
        pipeline_version=1,
        jurisdiction=jurisdiction,
        stage="drafting",
        status=status,
        stage_entered_at=NOW,
        fields={},
    )


def holder(
    email: str = "next@example.org",
    role: Role = Role.OFFICER,
    jurisdiction: str = "punjab",
    *,
    active: bool = True,
) -> people.Holder:
    return people.Holder(email=email, role=role, jurisdiction=jurisdiction, active=active)


def test_only_the_administrator_and_the_chair_change_people() -> None:
    assert people.may_manage_people(ADMIN) and people.may_manage_people(CHAIR)
    for actor in (PUNJAB_SECRETARY, OFFICER):
        with pytest.raises(AccessDeniedError, match="only the administrator or the chair") as e:
            people.require_people_manager(actor, "add people")
        assert e.value.exit_code == 3


def test_a_person_is_checked_as_the_meeting_file_checks_one() -> None:
    assert people.valid_person(VALID).role is Role.OFFICER


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"email": "not-an-address"}, "email: not an email address"),
        ({"name": ""}, "name: must not be empty"),
        ({"name": "Ayesha\nKhan"}, "name: contains a control character"),
        ({"role": "boss"}, "role: must be one of officer, deputy_commissioner, secretary"),
        ({"jurisdiction": "mars"}, "jurisdiction: unknown jurisdiction 'mars'"),
        ({"department": "x" * 101}, "department: is 101 characters; the limit is 100"),
        ({"language": "fr"}, "language: must be one of en, ur"),
    ],
)
def test_a_wrong_value_is_named_with_what_it_must_be(change: dict[str, str], said: str) -> None:
    with pytest.raises(people.PersonValueError, match=said) as error:
        people.valid_person({**VALID, **change})
    assert error.value.exit_code == 1
    assert "\n" not in error.value.message


def test_an_update_keeps_only_real_changes_and_checks_them_with_the_rest() -> None:
    wanted = {"name": "Ayesha Khan", "jurisdiction": "punjab", "role": None}
    assert people.changed_values(VALID, wanted) == {"jurisdiction": "punjab"}
    with pytest.raises(people.PersonValueError, match="nothing to change"):
        people.changed_values(VALID, {"name": "Ayesha Khan", "role": None})
    with pytest.raises(
        people.PersonValueError, match=r"jurisdiction: district in .* must be lower-case"
    ):
        people.changed_values(VALID, {"jurisdiction": "punjab/Lahore City"})
    with pytest.raises(people.PersonValueError, match="the engine's own"):
        people.changed_values(VALID, {"role": "system"})


def test_reassigning_records_who_held_it_and_who_holds_it_now() -> None:
    event = people.reassign(
        state(),
        PUNJAB_SECRETARY,
        current="old@example.org",
        new=holder(),
        reason="  transferred to Sindh ",
        now=NOW,
    )
    assert event.kind is EventKind.REASSIGNED
    assert (event.from_stage, event.to_stage, event.action) == ("drafting", "drafting", "reassign")
    assert dict(event.fields) == {"from": "old@example.org", "to": "next@example.org"}
    assert (event.actor_email, event.comment, event.at) == (
        "sec@example.org",
        "transferred to Sindh",
        NOW,
    )


@pytest.mark.parametrize(
    ("actor", "new", "error", "said"),
    [
        (OFFICER, holder(), RoleNotAllowedError, "a secretary or above over punjab"),
        (SINDH_SECRETARY, holder(), RoleNotAllowedError, "a secretary or above over punjab"),
        (ADMIN, holder(jurisdiction="sindh"), RoleNotAllowedError, "acts for sindh"),
        (
            ADMIN,
            holder(jurisdiction="punjab/lahore"),
            RoleNotAllowedError,
            "belongs to punjab, and next@example.org acts for punjab/lahore",
        ),
        (
            ADMIN,
            holder(role=Role.CHAIR, jurisdiction="federal"),
            RoleNotAllowedError,
            "does not hold",
        ),
        (ADMIN, holder(active=False), TransitionError, "no longer active"),
        (ADMIN, holder(email="OLD@example.org"), TransitionError, "already hold it"),
    ],
)
def test_who_may_reassign_and_who_may_take_an_item(
    actor: Actor, new: people.Holder, error: type[Exception], said: str
) -> None:
    with pytest.raises(error, match=said) as refused:
        people.reassign(state(), actor, current="old@example.org", new=new, reason=None, now=NOW)
    assert isinstance(refused.value, TransitionError)
    assert (refused.value.key, refused.value.action) == ("CMB-PUNJAB", "reassign")


def test_a_closed_item_does_not_change_hands() -> None:
    with pytest.raises(TransitionError, match="it is closed"):
        people.reassign(
            state(Status.COMPLETED), ADMIN, current=None, new=holder(), reason=None, now=NOW
        )


def test_a_federal_holder_may_take_a_provincial_item() -> None:
    federal = holder(role=Role.FEDERAL_SECRETARY, jurisdiction="federal")
    event = people.reassign(state(), CHAIR, current=None, new=federal, reason=None, now=NOW)
    assert dict(event.fields) == {"from": "", "to": "next@example.org"}


def test_an_acting_charge_needs_two_active_people_and_a_last_day_not_past() -> None:
    today = date(2026, 7, 1)
    me, other = holder("me@example.org"), holder("other@example.org")
    assert people.acting_charge_problem(me, other, until=today, today=today) is None
    assert "their own charge" in str(people.acting_charge_problem(me, me, until=today, today=today))
    gone = holder("other@example.org", active=False)
    assert "reassign their items" in str(
        people.acting_charge_problem(me, gone, until=today, today=today)
    )
    assert "before today" in str(
        people.acting_charge_problem(me, other, until=date(2026, 6, 30), today=today)
    )


def _candidate(email: str, department: str, role: Role = Role.OFFICER) -> Candidate:
    return Candidate(
        email=email, name=email, role=role, jurisdiction="punjab", department=department
    )


def test_an_inactive_officers_rung_goes_to_their_departments_officer_and_no_other() -> None:
    item = Item(
        key="CSW-PUNJAB", jurisdiction="punjab", department="women", officer_email="gone@x.org"
    )
    law = _candidate("law@x.org", "law")
    women = _candidate("women@x.org", "women")
    assert recipients(Role.OFFICER, item, [law, women]) == (women,)
    # No officer of the department: the rung is missing (the ladder takes it up a rung).
    assert recipients(Role.OFFICER, item, [law]) == ()
