"""Who hears of a stall at each rung of the ladder, and who may answer an escalation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from states import escalation
from states.actors import Actor, Role
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.errors import CommentRequiredError, RoleNotAllowedError, TransitionError
from states.escalation import Candidate, Item, deliveries, levels_to_escalate, recipients
from states.rules import CommitmentState, EventKind, Status

CATALOGUE = Catalogue.from_directories([BUNDLED_PIPELINES])
COMMISSION = CATALOGUE.latest("commission_appointment")  # officer, secretary, cs, chair
RUNG = {rung.level: rung for rung in COMMISSION.ladder}
NOW = datetime(2026, 6, 29, 5, 0, tzinfo=UTC)
TODAY = date(2026, 6, 29)


def candidate(email: str, role: Role, jurisdiction: str, department: str) -> Candidate:
    return Candidate(
        email=email,
        name=email.partition("@")[0],
        role=role,
        jurisdiction=jurisdiction,
        department=department,
    )


CHAIR = candidate("chair@example.org", Role.CHAIR, "federal", "human_rights")
FEDERAL_SECRETARY = candidate("fs@example.org", Role.FEDERAL_SECRETARY, "federal", "human_rights")
HR_SECRETARY_FEDERAL = candidate(
    "hr.sec.fed@example.org", Role.SECRETARY, "federal", "human_rights"
)
CS_PUNJAB = candidate("cs.punjab@example.org", Role.CHIEF_SECRETARY, "punjab", "cs_office")
HR_SECRETARY_PUNJAB = candidate(
    "hr.sec.punjab@example.org", Role.SECRETARY, "punjab", "human_rights"
)
LAW_SECRETARY_PUNJAB = candidate("law.sec.punjab@example.org", Role.SECRETARY, "punjab", "law")
HR_OFFICER_PUNJAB = candidate("hr.off.punjab@example.org", Role.OFFICER, "punjab", "human_rights")
HR_OFFICER_LAHORE = candidate(
    "hr.off.lahore@example.org", Role.OFFICER, "punjab/lahore", "human_rights"
)
LAW_SECRETARY_SINDH = candidate("law.sec.sindh@example.org", Role.SECRETARY, "sindh", "law")
HR_OFFICER_SINDH = candidate("hr.off.sindh@example.org", Role.OFFICER, "sindh", "human_rights")

PEOPLE = (
    CHAIR,
    FEDERAL_SECRETARY,
    HR_SECRETARY_FEDERAL,
    CS_PUNJAB,
    HR_SECRETARY_PUNJAB,
    LAW_SECRETARY_PUNJAB,
    HR_OFFICER_PUNJAB,
    HR_OFFICER_LAHORE,
    LAW_SECRETARY_SINDH,
    HR_OFFICER_SINDH,
)


def item(
    jurisdiction: str = "punjab",
    department: str = "human_rights",
    officer_email: str | None = None,
) -> Item:
    return Item(
        key="ITEM-1", jurisdiction=jurisdiction, department=department, officer_email=officer_email
    )


# -- recipients ------------------------------------------------------------------------------


def test_the_officer_rung_goes_to_the_items_own_officer() -> None:
    # The Lahore officer is closer to a Lahore item, but the item names the provincial officer.
    lahore_item = item("punjab/lahore", officer_email="HR.Off.Punjab@example.org")

    assert recipients(Role.OFFICER, lahore_item, PEOPLE) == (HR_OFFICER_PUNJAB,)


def test_without_an_officer_of_its_own_the_closest_officer_of_its_department_hears() -> None:
    assert recipients(Role.OFFICER, item("punjab/lahore"), PEOPLE) == (HR_OFFICER_LAHORE,)
    # An officer no longer among the people is not found; the department's officer stands in.
    gone = item("punjab", officer_email="left.the.service@example.org")
    assert recipients(Role.OFFICER, gone, PEOPLE) == (HR_OFFICER_PUNJAB,)


def test_the_secretary_rung_prefers_the_items_department() -> None:
    assert recipients(Role.SECRETARY, item("punjab", "law"), PEOPLE) == (LAW_SECRETARY_PUNJAB,)
    assert recipients(Role.SECRETARY, item("punjab", "human_rights"), PEOPLE) == (
        HR_SECRETARY_PUNJAB,
    )


def test_a_district_item_goes_to_its_provinces_secretary_when_the_district_has_none() -> None:
    # The federal human rights secretary also covers Lahore, but Punjab is closer.
    assert recipients(Role.SECRETARY, item("punjab/lahore"), PEOPLE) == (HR_SECRETARY_PUNJAB,)

    district_secretary = candidate(
        "hr.sec.lahore@example.org", Role.SECRETARY, "punjab/lahore", "human_rights"
    )
    with_district = (*PEOPLE, district_secretary)
    assert recipients(Role.SECRETARY, item("punjab/lahore"), with_district) == (district_secretary,)


def test_with_no_secretary_of_its_department_the_provinces_secretaries_hear() -> None:
    # Nobody is secretary of education: every Punjab secretary hears, not Sindh's or the
    # federal one.
    found = recipients(Role.SECRETARY, item("punjab", "education"), PEOPLE)

    assert found == (HR_SECRETARY_PUNJAB, LAW_SECRETARY_PUNJAB)


def test_the_items_department_comes_before_a_closer_secretary_of_another() -> None:
    # Sindh has only a law secretary; a Sindh human rights item goes to the human rights
    # secretary who covers Sindh, the federal one.
    found = recipients(Role.SECRETARY, item("sindh", "human_rights"), PEOPLE)

    assert found == (HR_SECRETARY_FEDERAL,)


def test_the_chief_secretary_rung_of_a_federal_item_goes_to_the_federal_secretary() -> None:
    assert recipients(Role.CHIEF_SECRETARY, item("federal"), PEOPLE) == (FEDERAL_SECRETARY,)
    assert recipients(Role.CHIEF_SECRETARY, item("punjab/lahore"), PEOPLE) == (CS_PUNJAB,)


def test_the_chair_is_found_from_any_jurisdiction() -> None:
    for jurisdiction in ("federal", "sindh", "punjab/lahore"):
        assert recipients(Role.CHAIR, item(jurisdiction), PEOPLE) == (CHAIR,)


def test_nobody_holding_the_role_gives_no_recipients() -> None:
    assert recipients(Role.CHIEF_SECRETARY, item("sindh"), PEOPLE) == ()
    assert recipients(Role.CHAIR, item("punjab"), ()) == ()


def test_several_holders_at_the_same_distance_all_hear_in_a_stable_order() -> None:
    second = candidate("a.second.cs@example.org", Role.CHIEF_SECRETARY, "punjab", "cs_office")

    found = recipients(Role.CHIEF_SECRETARY, item("punjab"), (CS_PUNJAB, second, CHAIR))

    assert found == (second, CS_PUNJAB)


# -- deliveries and levels ---------------------------------------------------------------------


def test_a_rung_nobody_holds_goes_to_the_next_rung_up_and_says_which_was_missing() -> None:
    sindh_item = item("sindh", "law", officer_email=HR_OFFICER_SINDH.email)

    sent = deliveries(COMMISSION, COMMISSION.ladder, sindh_item, PEOPLE)

    assert [(d.level.level, d.recipients, d.missing) for d in sent] == [
        (1, (HR_OFFICER_SINDH,), None),
        (2, (LAW_SECRETARY_SINDH,), None),
        (3, (CHAIR,), RUNG[3]),  # Sindh has no chief secretary here: the chair hears instead
        (4, (CHAIR,), None),
    ]


def test_a_rung_with_nobody_above_it_is_still_recorded_as_missing() -> None:
    nobody_above = [p for p in PEOPLE if p.role is not Role.CHAIR]

    sent = deliveries(COMMISSION, [RUNG[4]], item("punjab"), nobody_above)

    assert [(d.level, d.recipients, d.missing) for d in sent] == [(RUNG[4], (), RUNG[4])]


@pytest.mark.parametrize(
    ("reached", "already", "expected"),
    [
        pytest.param(None, set(), [], id="not-stalled"),
        pytest.param(1, set(), [1], id="first-rung"),
        pytest.param(3, {1}, [2, 3], id="skipped-rungs-are-caught-up"),
        pytest.param(4, {1, 2, 3, 4}, [], id="all-recorded"),
        pytest.param(2, {0}, [1, 2], id="a-reminder-is-not-a-rung"),
        pytest.param(2, {1, 3}, [2], id="only-up-to-the-rung-reached"),
    ],
)
def test_levels_to_escalate_are_the_rungs_reached_and_not_yet_recorded(
    reached: int | None, already: set[int], expected: list[int]
) -> None:
    rung = RUNG[reached] if reached is not None else None

    assert [r.level for r in levels_to_escalate(COMMISSION, rung, already)] == expected


# -- acknowledge, snooze, exempt -----------------------------------------------------------------

STATE = CommitmentState(
    key="CSW-PUNJAB",
    pipeline="commission_appointment",
    pipeline_version=1,
    jurisdiction="punjab",
    stage="nominations_invited",
    status=Status.OPEN,
    stage_entered_at=datetime(2026, 6, 11, 19, 0, tzinfo=UTC),
)
CLOSED = replace(STATE, stage="in_office", status=Status.COMPLETED)


def actor(role: Role, jurisdiction: str = "punjab") -> Actor:
    return Actor(email=f"{role}.{jurisdiction}@example.org", role=role, jurisdiction=jurisdiction)


def test_an_officer_may_not_acknowledge_or_snooze() -> None:
    officer = actor(Role.OFFICER)

    with pytest.raises(
        RoleNotAllowedError, match="a deputy commissioner, secretary, chief secretary"
    ) as refused:
        escalation.acknowledge(STATE, officer, reason="working on it", now=NOW)
    assert (refused.value.key, refused.value.action) == ("CSW-PUNJAB", "acknowledge")
    with pytest.raises(RoleNotAllowedError):
        escalation.snooze(
            COMMISSION,
            STATE,
            officer,
            until=TODAY + timedelta(days=1),
            reason="r",
            now=NOW,
            today=TODAY,
        )


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.SYSTEM])
def test_administrators_and_the_system_may_not_acknowledge(role: Role) -> None:
    with pytest.raises(RoleNotAllowedError):
        escalation.acknowledge(STATE, actor(role, "federal"), reason="seen", now=NOW)


def test_a_secretary_of_another_province_may_not_acknowledge() -> None:
    with pytest.raises(RoleNotAllowedError, match="it belongs to punjab") as refused:
        escalation.acknowledge(STATE, actor(Role.SECRETARY, "sindh"), reason="seen", now=NOW)
    assert "acts for sindh" in refused.value.message


def test_a_district_secretary_may_not_acknowledge_a_provincial_item() -> None:
    with pytest.raises(RoleNotAllowedError):
        escalation.acknowledge(STATE, actor(Role.SECRETARY, "punjab/lahore"), reason="x", now=NOW)


def test_a_deputy_commissioner_answers_for_their_district_alone() -> None:
    lahore_item = replace(STATE, jurisdiction="punjab/lahore", department="law")
    deputy_commissioner = actor(Role.DEPUTY_COMMISSIONER, "punjab/lahore")

    # Any department's item of the district: the district's head is bound to no department.
    event = escalation.acknowledge(lahore_item, deputy_commissioner, reason="seen", now=NOW)
    assert event.actor_role is Role.DEPUTY_COMMISSIONER
    with pytest.raises(RoleNotAllowedError, match="it belongs to punjab, and"):
        escalation.acknowledge(STATE, deputy_commissioner, reason="seen", now=NOW)
    with pytest.raises(RoleNotAllowedError):
        escalation.acknowledge(
            replace(STATE, jurisdiction="punjab/multan"), deputy_commissioner, reason="x", now=NOW
        )


def test_the_deputy_commissioner_rung_goes_to_the_districts_own() -> None:
    lahore = candidate("dc.lahore@example.org", Role.DEPUTY_COMMISSIONER, "punjab/lahore", "")
    multan = candidate("dc.multan@example.org", Role.DEPUTY_COMMISSIONER, "punjab/multan", "")
    people = (*PEOPLE, lahore, multan)

    assert recipients(Role.DEPUTY_COMMISSIONER, item("punjab/lahore"), people) == (lahore,)
    # A province's item has no deputy commissioner: nobody holds that rung for it.
    assert recipients(Role.DEPUTY_COMMISSIONER, item("punjab"), people) == ()


@pytest.mark.parametrize(
    ("role", "jurisdiction"),
    [
        (Role.SECRETARY, "punjab"),
        (Role.CHIEF_SECRETARY, "punjab"),
        (Role.FEDERAL_SECRETARY, "federal"),
        (Role.CHAIR, "federal"),
    ],
)
def test_those_above_the_item_acknowledge_with_their_reason_recorded(
    role: Role, jurisdiction: str
) -> None:
    who = actor(role, jurisdiction)

    event = escalation.acknowledge(STATE, who, reason="  summary is with the CM  ", now=NOW)

    assert event.kind is EventKind.ACKNOWLEDGED
    assert (event.actor_email, event.actor_role) == (who.email, role)
    assert event.comment == "summary is with the CM"
    assert event.at == NOW
    # An answer to an escalation does not move the commitment.
    assert (event.from_stage, event.to_stage) == ("nominations_invited", "nominations_invited")
    assert event.fields == {}


def test_an_answer_needs_a_reason() -> None:
    secretary = actor(Role.SECRETARY)
    with pytest.raises(CommentRequiredError, match="needs a reason"):
        escalation.acknowledge(STATE, secretary, reason="   ", now=NOW)
    with pytest.raises(CommentRequiredError):
        escalation.exempt(STATE, actor(Role.CHAIR, "federal"), reason="", now=NOW)


def test_a_closed_commitment_cannot_be_answered() -> None:
    chair = actor(Role.CHAIR, "federal")
    with pytest.raises(TransitionError, match="it is closed"):
        escalation.acknowledge(CLOSED, chair, reason="seen", now=NOW)
    with pytest.raises(TransitionError, match="it is closed"):
        escalation.snooze(
            COMMISSION,
            CLOSED,
            chair,
            until=TODAY + timedelta(days=1),
            reason="r",
            now=NOW,
            today=TODAY,
        )
    with pytest.raises(TransitionError, match="it is closed"):
        escalation.exempt(CLOSED, chair, reason="done", now=NOW)


def test_a_snooze_records_the_day_it_lasts_until() -> None:
    latest = TODAY + timedelta(days=COMMISSION.snooze_max_days)
    who = actor(Role.SECRETARY)

    event = escalation.snooze(
        COMMISSION,
        STATE,
        who,
        until=latest,
        reason="cabinet meets on Friday",
        now=NOW,
        today=TODAY,
    )

    assert event.kind is EventKind.SNOOZED
    assert event.actor_email == who.email
    assert event.comment == "cabinet meets on Friday"
    assert event.fields == {"until": latest.isoformat()}


@pytest.mark.parametrize(
    "until",
    [
        pytest.param(TODAY, id="today"),
        pytest.param(TODAY - timedelta(days=1), id="yesterday"),
        pytest.param(TODAY + timedelta(days=6), id="beyond-the-limit"),
    ],
)
def test_a_snooze_must_end_after_today_and_within_the_pipelines_limit(until: date) -> None:
    assert COMMISSION.snooze_max_days == 5
    with pytest.raises(TransitionError) as refused:
        escalation.snooze(
            COMMISSION,
            STATE,
            actor(Role.SECRETARY),
            until=until,
            reason="r",
            now=NOW,
            today=TODAY,
        )
    message = refused.value.message
    assert "no later than 4 July 2026" in message
    assert "(5 days, the most commission_appointment allows)" in message
    assert refused.value.action == "snooze"


@pytest.mark.parametrize(
    ("role", "jurisdiction"),
    [
        (Role.SECRETARY, "punjab"),
        (Role.CHIEF_SECRETARY, "punjab"),
        (Role.FEDERAL_SECRETARY, "federal"),
        (Role.ADMINISTRATOR, "federal"),
    ],
)
def test_only_the_chair_may_exempt(role: Role, jurisdiction: str) -> None:
    with pytest.raises(RoleNotAllowedError, match="only the chair may exempt"):
        escalation.exempt(STATE, actor(role, jurisdiction), reason="policy changed", now=NOW)


def test_the_chair_exempts_with_the_reason_recorded() -> None:
    chair = actor(Role.CHAIR, "federal")

    event = escalation.exempt(STATE, chair, reason="awaiting a court ruling", now=NOW)

    assert event.kind is EventKind.EXEMPTED
    assert (event.actor_email, event.actor_role) == (chair.email, Role.CHAIR)
    assert event.comment == "awaiting a court ruling"
    assert event.to_stage == STATE.stage
