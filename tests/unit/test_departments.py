"""Department access, who must act now, and parents waiting for their children: the rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from states import escalation, rules
from states.access import Access, allows
from states.actors import Actor, Role
from states.catalogue import BUNDLED_PIPELINES, Catalogue, parse_pipeline
from states.departments import department_key, reaches
from states.documents import parse_yaml
from states.errors import DefinitionError, OpenChildrenError, RoleNotAllowedError
from states.rules import CommitmentState, Status, TransitionRequest
from states.waiting import Holder, waiting_on

CATALOGUE = Catalogue.from_directories([BUNDLED_PIPELINES])
BILL = CATALOGUE.latest("provincial_bill")
COMMITTEE = CATALOGUE.latest("committee_activation")
T0 = datetime(2026, 6, 12, 9, 0, tzinfo=UTC)


def person(role: Role, department: str, jurisdiction: str = "punjab") -> Actor:
    return Actor(
        email=f"{department}.{role}.{jurisdiction}@example.org".replace("/", "."),
        role=role,
        jurisdiction=jurisdiction,
        department=department,
    )


def bill(stage: str = "drafting", department: str = "law") -> CommitmentState:
    return CommitmentState(
        key="CMB-PUNJAB",
        pipeline=BILL.key,
        pipeline_version=BILL.version,
        jurisdiction="punjab",
        stage=stage,
        status=Status.for_stage(BILL.stage(stage)),
        stage_entered_at=T0,
        department=department,
        fields={"bill_number": "Bill No. 12 of 2026", "introduced_on": "2026-06-07"},
    )


def act(state: CommitmentState, action: str, actor: Actor, **fields: str) -> rules.Outcome:
    return rules.apply(BILL, state, TransitionRequest(action, actor, fields), now=T0)


@pytest.mark.parametrize(
    "spelling",
    ["women_development", "Women Development", " women-development ", "WOMEN  DEVELOPMENT"],
)
def test_departments_compare_by_one_key_whatever_the_spelling(spelling: str) -> None:
    assert department_key(spelling) == "women_development"


def test_the_women_development_officer_cannot_move_the_law_departments_bill() -> None:
    officer = person(Role.OFFICER, "women_development")
    with pytest.raises(RoleNotAllowedError) as caught:
        act(bill(), "send_for_vetting", officer)
    assert caught.value.message == (
        "Can't send_for_vetting CMB-PUNJAB: it belongs to the Law Department, and"
        f" {officer.email} (officer) is in the Women Development Department"
    )
    assert (caught.value.key, caught.value.stage) == ("CMB-PUNJAB", "drafting")
    assert caught.value.exit_code == 3
    # The form offers nothing, for the same reason.
    assert rules.options(BILL, bill(), officer) == []


def test_the_women_development_secretary_cannot_approve_it_either() -> None:
    secretary = person(Role.SECRETARY, "Women Development")
    with pytest.raises(RoleNotAllowedError, match="belongs to the Law Department"):
        act(bill("cabinet_approval"), "approve_in_cabinet", secretary, cabinet_decision="C-1")


def test_the_own_department_acts_in_any_spelling() -> None:
    moved = act(bill(), "send_for_vetting", person(Role.OFFICER, "Law"))
    assert moved.state.stage == "law_vetting"


@pytest.mark.parametrize(
    ("role", "jurisdiction"),
    [(Role.CHIEF_SECRETARY, "punjab"), (Role.CHAIR, "federal")],
)
def test_roles_above_a_department_keep_their_reach(role: Role, jurisdiction: str) -> None:
    actor = person(role, "chief_secretary_office", jurisdiction)
    withdrawn = rules.apply(
        BILL, bill(), TransitionRequest("withdraw", actor, comment="superseded"), now=T0
    )
    assert withdrawn.state.status is Status.WITHDRAWN


def test_the_law_department_vets_another_departments_bill() -> None:
    # The stage names the Law Department as taking part; the drafting department keeps its reach.
    women_bill = bill("law_vetting", department="women_development")
    assert act(women_bill, "vet", person(Role.OFFICER, "law")).state.stage == "cabinet_approval"
    assert act(women_bill, "vet", person(Role.OFFICER, "women_development")).state.stage == (
        "cabinet_approval"
    )
    with pytest.raises(RoleNotAllowedError, match="the Women Development Department"):
        act(women_bill, "vet", person(Role.OFFICER, "police"))
    # Outside the vetting stage the Law Department has no hand in it.
    with pytest.raises(RoleNotAllowedError):
        act(bill(department="women_development"), "send_for_vetting", person(Role.OFFICER, "law"))


def test_answering_an_escalation_keeps_to_the_department() -> None:
    law, women = person(Role.SECRETARY, "law"), person(Role.SECRETARY, "women_development")
    assert allows(Access.ANSWER, law, jurisdiction="punjab", department="law")
    assert not allows(Access.ANSWER, women, jurisdiction="punjab", department="law")
    # Reading the item is not limited by department.
    assert allows(Access.ITEM, women, jurisdiction="punjab")
    with pytest.raises(RoleNotAllowedError, match="belongs to the Law Department"):
        escalation.acknowledge(bill(), women, reason="seen", now=T0)
    assert escalation.acknowledge(bill(), law, reason="seen", now=T0).comment == "seen"


def test_an_item_without_a_department_limits_nobody() -> None:
    assert reaches(person(Role.OFFICER, "police"), "")


PIPELINE = """\
key: checked
version: 1
title: Checked
initial: start
stages:
  - {key: start, title: Start, owner: officer, departments: [law, Law]}
  - {key: done, title: Done, owner: officer, terminal: true, outcome: completed}
transitions:
  - {action: finish, title: Finish, from: start, to: done, roles: [officer]}
"""


def test_a_department_listed_twice_is_refused_with_its_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_pipeline(parse_yaml(PIPELINE, "checked.yaml"))
    assert "stages[0].departments[1]" in caught.value.message
    assert "listed twice" in caught.value.message


def test_definitions_without_the_new_keys_keep_their_checksum() -> None:
    committee = CATALOGUE.latest("committee_activation")
    assert "departments" not in committee.canonical_json()
    assert "completes_with_open_children" not in committee.canonical_json()
    assert '"departments":["law"]' in BILL.canonical_json()


# -- who must act now ------------------------------------------------------------------------


def holder(role: Role, department: str, jurisdiction: str = "punjab", **kw: object) -> Holder:
    actor = person(role, department, jurisdiction)
    return Holder(
        email=actor.email,
        name=f"{department} {role} {jurisdiction}",
        role=role,
        jurisdiction=jurisdiction,
        department=department,
        **kw,  # type: ignore[arg-type]
    )


PEOPLE = [
    holder(Role.CHAIR, "human_rights", "federal"),
    holder(Role.CHIEF_SECRETARY, "chief_secretary_office"),
    holder(Role.SECRETARY, "law", "federal"),
    holder(Role.SECRETARY, "law"),
    holder(Role.SECRETARY, "women_development"),
    holder(Role.OFFICER, "women_development"),
    holder(Role.OFFICER, "law"),
    holder(Role.OFFICER, "law", "sindh"),
    holder(Role.OFFICER, "law", "punjab/lahore", active=False),
]


def names(found: tuple[Holder, ...]) -> list[str]:
    return [p.name for p in found]


def test_a_stage_the_secretary_owns_waits_on_the_secretary_first() -> None:
    found = waiting_on(BILL, bill("cabinet_approval"), PEOPLE)
    assert names(found) == [
        "law secretary punjab",
        "law secretary federal",
        "chief_secretary_office chief_secretary punjab",
    ]


def test_an_officers_stage_names_the_items_own_officer_first() -> None:
    own = "law.officer.punjab@example.org"
    found = waiting_on(BILL, bill(), PEOPLE, officer_email=own)
    # Withdrawing is open to the chair and the chief secretary, but it is not the next step.
    assert names(found) == ["law officer punjab", "law secretary punjab", "law secretary federal"]


def test_nobody_waits_on_a_closed_item_or_an_inactive_person() -> None:
    closed = replace(bill("enacted"), status=Status.COMPLETED)
    assert waiting_on(BILL, closed, PEOPLE) == ()
    assert "law officer punjab/lahore" not in names(waiting_on(BILL, bill(), PEOPLE))


# -- parents and their open children ---------------------------------------------------------


def committee(stage: str = "first_meeting_held") -> CommitmentState:
    return CommitmentState(
        key="DHRC-PUNJAB",
        pipeline=COMMITTEE.key,
        pipeline_version=COMMITTEE.version,
        jurisdiction="punjab",
        stage=stage,
        status=Status.OPEN,
        stage_entered_at=T0,
        department="human_rights",
    )


def test_a_parent_does_not_complete_while_a_child_is_open() -> None:
    officer = person(Role.OFFICER, "human_rights")
    request = TransitionRequest("report_operational", officer, {"first_report_on": "2026-06-10"})
    with pytest.raises(OpenChildrenError) as caught:
        rules.apply(COMMITTEE, committee(), request, now=T0, open_children=["DHRC-PUNJAB-LAHORE"])
    assert caught.value.open_children == ("DHRC-PUNJAB-LAHORE",)
    assert caught.value.message == (
        "Can't report_operational DHRC-PUNJAB: 1 of its children is still open"
        " (DHRC-PUNJAB-LAHORE); it completes once they end"
    )
    assert caught.value.exit_code == 2
    done = rules.apply(COMMITTEE, committee(), request, now=T0, open_children=[])
    assert done.state.status is Status.COMPLETED


def test_the_forms_leave_out_a_completion_open_children_hold_back() -> None:
    officer = person(Role.OFFICER, "human_rights")
    waiting = rules.options(COMMITTEE, committee(), officer, open_children=["DHRC-PUNJAB-LAHORE"])
    assert [o.transition.action for o in waiting] == []
    free = rules.options(COMMITTEE, committee(), officer, open_children=[])
    assert [o.transition.action for o in free] == ["report_operational"]


def test_withdrawing_a_parent_is_not_held_back_by_its_children() -> None:
    chief = person(Role.CHIEF_SECRETARY, "chief_secretary_office")
    request = TransitionRequest("drop", chief, comment="merged")
    dropped = rules.apply(COMMITTEE, committee(), request, now=T0, open_children=["X"])
    assert dropped.state.status is Status.WITHDRAWN


def test_a_pipeline_may_let_a_parent_complete_first() -> None:
    relaxed = COMMITTEE.model_copy(update={"completes_with_open_children": True})
    officer = person(Role.OFFICER, "human_rights")
    request = TransitionRequest("report_operational", officer, {"first_report_on": "2026-06-10"})
    done = rules.apply(relaxed, committee(), request, now=T0, open_children=["DHRC-PUNJAB-LAHORE"])
    assert done.state.status is Status.COMPLETED


def test_the_ladder_finds_the_same_department_in_any_spelling() -> None:
    item = escalation.Item(
        key="CSW-PUNJAB", jurisdiction="punjab", department="women_development", officer_email=None
    )
    people = [
        escalation.Candidate("law@example.org", "Law", Role.SECRETARY, "punjab", "law"),
        escalation.Candidate("wd@example.org", "WD", Role.SECRETARY, "punjab", "Women Development"),
    ]
    found = escalation.recipients(Role.SECRETARY, item, people)
    assert [p.email for p in found] == ["wd@example.org"]
