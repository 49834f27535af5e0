"""A fanned-out national commitment completes by itself when its last child ends, not before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db import queries, workflow
from db.models import Commitment, Person
from states.catalogue import Catalogue
from states.errors import RoleNotAllowedError, TaskforceError

Advance = Callable[..., workflow.Advanced]
Stored = Callable[..., dict[str, Any]]
Walk = Callable[..., workflow.Advanced]
Districts = Callable[..., list[str]]

# DHRC-NATIONAL's children in the bundled meeting, with the officer of each.
PROVINCES = {
    "DHRC-PUNJAB": "hr.officer.punjab@example.org",
    "DHRC-SINDH": "hr.officer.sindh@example.org",
    "DHRC-KP": "hr.officer.kp@example.org",
    "DHRC-BALOCHISTAN": "hr.officer.balochistan@example.org",
}
CHAIR = "chair@example.org"


def activate_districts_of(
    activate_committee: Walk, activate_districts: Districts, *provinces: str
) -> None:
    """Every district committee of `provinces` to operational: Lahore by its own officer,
    the others (made by each_district, with no officer named) by their province's."""
    if "DHRC-PUNJAB" in provinces:
        activate_committee("DHRC-PUNJAB-LAHORE", "hr.officer.lahore@example.org")
    for key in provinces:
        assert activate_districts(key, PROVINCES[key])


def activate_provinces(
    activate_committee: Walk, activate_districts: Districts
) -> list[workflow.Advanced]:
    """Every province's committee to operational, each after all its districts."""
    activate_districts_of(activate_committee, activate_districts, *PROVINCES)
    return [activate_committee(key, officer) for key, officer in PROVINCES.items()]


def assert_completed_by_the_system(national: dict[str, Any], *, at: Any) -> None:
    """The national commitment's last event is the system completing it at `at`."""
    assert (national["stage"], national["status"]) == ("completed", "completed")
    assert national["closed_at"] == at
    assert national["history"][-1] == {
        "seq": len(national["history"]),
        "kind": "transition",
        "at": at,
        "actor": "system",
        "role": "system",
        "action": "complete",
        "from": "in_progress",
        "to": "completed",
        "fields": {},
        "comment": "every child commitment has ended",
    }


def test_the_national_commitment_completes_when_its_last_child_becomes_operational(
    loaded: Catalogue,
    activate_committee: Walk,
    activate_districts: Districts,
    stored: Stored,
    sessions: sessionmaker[Session],
) -> None:
    # Each province completes after its districts (a parent waits for its open children).
    activate_districts_of(activate_committee, activate_districts, *PROVINCES)
    *first, (last, last_officer) = PROVINCES.items()
    for key, officer in first:
        result = activate_committee(key, officer)

        assert result.commitment.status == "completed"
        assert result.rolled_up == ()
        national = stored("DHRC-NATIONAL")
        assert (national["stage"], national["status"]) == ("in_progress", "open")
        assert [e["kind"] for e in national["history"]] == ["created"]

    finished = activate_committee(last, last_officer)

    assert finished.rolled_up == ("DHRC-NATIONAL",)
    assert_completed_by_the_system(stored("DHRC-NATIONAL"), at=finished.event.at)
    with sessions() as session:
        assert queries.inconsistent_keys(session) == []


def test_a_dropped_child_counts_as_ended(
    loaded: Catalogue,
    activate_committee: Walk,
    activate_districts: Districts,
    advance: Advance,
    stored: Stored,
) -> None:
    advance("DHRC-PUNJAB", "drop", CHAIR, comment="merged into the provincial task force")
    activate_districts_of(activate_committee, activate_districts, "DHRC-SINDH", "DHRC-KP")
    activate_committee("DHRC-SINDH", PROVINCES["DHRC-SINDH"])
    activate_committee("DHRC-KP", PROVINCES["DHRC-KP"])
    assert stored("DHRC-NATIONAL")["status"] == "open"

    dropped = advance(
        "DHRC-BALOCHISTAN",
        "drop",
        "cs.balochistan@example.org",
        comment="committees to be re-notified under the new district map",
    )

    assert (dropped.commitment.stage, dropped.commitment.status) == ("dropped", "withdrawn")
    assert dropped.rolled_up == ("DHRC-NATIONAL",)
    assert_completed_by_the_system(stored("DHRC-NATIONAL"), at=dropped.event.at)


def test_a_district_does_not_complete_its_province(
    loaded: Catalogue, activate_committee: Walk, stored: Stored
) -> None:
    province_before = stored("DHRC-PUNJAB")

    lahore = activate_committee("DHRC-PUNJAB-LAHORE", "hr.officer.lahore@example.org")

    # committee_activation has no on_children_done: the province moves only by its officer.
    assert lahore.commitment.status == "completed"
    assert lahore.rolled_up == ()
    assert stored("DHRC-PUNJAB") == province_before
    assert stored("DHRC-NATIONAL")["status"] == "open"


def test_nobody_but_the_system_completes_a_fanned_out_commitment(
    loaded: Catalogue, advance: Advance, stored: Stored
) -> None:
    before = stored("DHRC-NATIONAL")

    with pytest.raises(RoleNotAllowedError, match="this action is for system"):
        advance("DHRC-NATIONAL", "complete", CHAIR)

    assert stored("DHRC-NATIONAL") == before


def test_a_withdrawn_national_commitment_stays_withdrawn_when_its_children_end(
    loaded: Catalogue,
    advance: Advance,
    activate_committee: Walk,
    activate_districts: Districts,
    stored: Stored,
) -> None:
    advance("DHRC-NATIONAL", "withdraw", CHAIR, comment="replaced by a provincial programme")
    withdrawn = stored("DHRC-NATIONAL")

    results = activate_provinces(activate_committee, activate_districts)

    assert [r.rolled_up for r in results] == [(), (), (), ()]
    assert stored("DHRC-NATIONAL") == withdrawn
    assert withdrawn["status"] == "withdrawn"


@pytest.mark.parametrize("ending", ["withdrawn", "completed"])
def test_no_child_can_be_added_under_a_closed_parent(
    loaded: Catalogue,
    advance: Advance,
    activate_committee: Walk,
    activate_districts: Districts,
    make_commitment: Callable[..., Commitment],
    sessions: sessionmaker[Session],
    ending: str,
) -> None:
    if ending == "withdrawn":
        advance("DHRC-NATIONAL", "withdraw", CHAIR, comment="replaced by a provincial programme")
    else:
        activate_provinces(activate_committee, activate_districts)

    with pytest.raises(
        TaskforceError,
        match=f"can't add DHRC-ISLAMABAD under DHRC-NATIONAL: DHRC-NATIONAL is already {ending}",
    ):
        make_commitment(
            "DHRC-ISLAMABAD", "committee_activation", "islamabad", parent="DHRC-NATIONAL"
        )

    with sessions() as session:
        national = queries.get_commitment(session, "DHRC-NATIONAL")
        assert [c.key for c in queries.children(session, national)] == sorted(PROVINCES)
        with pytest.raises(TaskforceError, match="no commitment 'DHRC-ISLAMABAD'"):
            queries.get_commitment(session, "DHRC-ISLAMABAD")


def test_a_child_added_later_holds_its_open_parent_back(
    loaded: Catalogue,
    activate_committee: Walk,
    activate_districts: Districts,
    make_person: Callable[..., Person],
    make_commitment: Callable[..., Commitment],
    stored: Stored,
) -> None:
    make_person(
        "hr.officer.islamabad@example.org", jurisdiction="islamabad", department="human_rights"
    )
    make_commitment("DHRC-ISLAMABAD", "committee_activation", "islamabad", parent="DHRC-NATIONAL")

    results = activate_provinces(activate_committee, activate_districts)

    assert [r.rolled_up for r in results] == [(), (), (), ()]
    assert stored("DHRC-NATIONAL")["status"] == "open"
    last = activate_committee("DHRC-ISLAMABAD", "hr.officer.islamabad@example.org")
    assert last.rolled_up == ("DHRC-NATIONAL",)
    assert stored("DHRC-NATIONAL")["status"] == "completed"


def test_completion_rolls_up_a_chain_of_fanned_out_parents(
    catalogue: Catalogue,
    make_person: Callable[..., Person],
    make_commitment: Callable[..., Commitment],
    advance: Advance,
    stored: Stored,
) -> None:
    make_person("officer.punjab@example.org", jurisdiction="punjab", department="human_rights")
    make_person(
        "secretary.punjab@example.org",
        role="secretary",
        jurisdiction="punjab",
        department="human_rights",
    )
    make_commitment("NAP-NATIONAL", "fan_out", "federal")
    make_commitment("NAP-PUNJAB", "fan_out", "punjab", parent="NAP-NATIONAL")
    make_commitment("NAP-PUNJAB-01", "action_task", "punjab", parent="NAP-PUNJAB")

    advance("NAP-PUNJAB-01", "take_up", "officer.punjab@example.org")
    advance(
        "NAP-PUNJAB-01",
        "report_completion",
        "officer.punjab@example.org",
        fields={"evidence": "Notification 12/2026"},
    )
    verified = advance("NAP-PUNJAB-01", "verify", "secretary.punjab@example.org")

    assert verified.rolled_up == ("NAP-PUNJAB", "NAP-NATIONAL")
    for key in verified.rolled_up:
        assert_completed_by_the_system(stored(key), at=verified.event.at)
