"""provincial_bill follows the procedure the Constitution and the assemblies' rules lay down
(since version 4), and its enactment starts what the act requires (version 5): what it lets
people and the system do, stage by stage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from states import rules
from states.actors import SYSTEM_ACTOR, Actor, Role
from states.calendar import WorkingCalendar, end_of_day, local_day
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.definition import Clock, Pipeline
from states.errors import IllegalTransitionError
from states.pipeline_migration import Running, plan_migration
from states.rules import CommitmentState, Status, TransitionRequest
from states.stalls import time_limit_action

PREVIOUS = BUNDLED_PIPELINES / "previous"
CATALOGUE = Catalogue.from_directories([BUNDLED_PIPELINES, PREVIOUS])
BILL = CATALOGUE.latest("provincial_bill")
V3 = CATALOGUE.get("provincial_bill", 3)
V4 = CATALOGUE.get("provincial_bill", 4)
T0 = datetime(2026, 6, 12, 9, 0, tzinfo=UTC)


def person(role: Role) -> Actor:
    return Actor(email=f"{role}@example.org", role=role, jurisdiction="balochistan")


OFFICER = person(Role.OFFICER)
SECRETARY = person(Role.SECRETARY)


def bill(stage: str, **fields: str) -> CommitmentState:
    return CommitmentState(
        key="CMB-BALOCHISTAN",
        pipeline="provincial_bill",
        pipeline_version=BILL.version,
        jurisdiction="balochistan",
        stage=stage,
        status=Status.for_stage(BILL.stage(stage)),
        stage_entered_at=T0,
        fields=dict(fields),
    )


def act(
    state: CommitmentState, action: str, actor: Actor, comment: str | None = None, **fields: str
) -> CommitmentState:
    request = TransitionRequest(action=action, actor=actor, fields=fields, comment=comment)
    return rules.apply(BILL, state, request, now=T0 + timedelta(days=1)).state


def offered(state: CommitmentState, actor: Actor) -> set[str]:
    return {option.transition.action for option in rules.options(BILL, state, actor)}


def test_version_5_is_the_latest_and_versions_3_and_4_are_kept_beside_it() -> None:
    assert BILL.version == 5
    assert Catalogue.from_directories([BUNDLED_PIPELINES]).latest("provincial_bill").version == 5
    assert (V3.version, V4.version) == (3, 4)


def test_a_bill_approved_by_cabinet_waits_for_introduction() -> None:
    approved = act(
        bill("cabinet_approval"), "approve_in_cabinet", SECRETARY, cabinet_decision="C-9"
    )
    assert approved.stage == "cabinet_approved"
    assert approved.status is Status.OPEN
    stage = BILL.stage("cabinet_approved")
    assert stage.owner is Role.SECRETARY and stage.time_limit
    introduced = act(
        approved, "introduce", SECRETARY, bill_number="Bill No. 3", introduced_on="2026-06-10"
    )
    assert introduced.stage == "introduced"


def test_the_sponsoring_department_drafts_and_the_law_department_vets() -> None:
    assert not BILL.stage("drafting").departments
    assert BILL.stage("law_vetting").departments == ("law",)
    assert act(bill("drafting"), "send_for_vetting", OFFICER).stage == "law_vetting"


def test_a_private_members_bill_is_introduced_after_notice_admission_and_views() -> None:
    state = act(bill("drafting"), "give_notice", OFFICER)
    assert state.stage == "notice_given"
    state = act(state, "admit", OFFICER)
    assert state.stage == "admitted"
    state = act(state, "give_government_views", SECRETARY, comment="The government supports it")
    assert state.stage == "private_members_day"
    state = act(
        state,
        "introduce_on_private_members_day",
        OFFICER,
        bill_number="Bill No. 7",
        introduced_on="2026-06-11",
    )
    assert state.stage == "introduced"


def test_a_referral_to_the_council_of_islamic_ideology_returns_the_bill_to_the_assembly() -> None:
    introduced = bill("introduced", bill_number="B-1", introduced_on="2026-06-01")
    referred = act(introduced, "refer_to_cii", OFFICER, comment="Referred by the assembly")
    assert referred.stage == "cii_referral"
    assert BILL.stage("cii_referral").assembly
    back = act(referred, "return_from_cii", OFFICER, comment="The Council's advice received")
    assert back.stage == "introduced"


def test_only_a_bill_pending_in_the_assembly_lapses_and_the_decision_stays_open() -> None:
    assert BILL.on_dissolution == "lapse"
    pending = {stage.key for stage in BILL.assembly_stages()}
    assert pending == {
        "notice_given",
        "admitted",
        "private_members_day",
        "introduced",
        "cii_referral",
        "standing_committee",
        "reconsideration",
    }
    lapse = next(t for t in BILL.transitions if t.action == "lapse")
    assert set(BILL.sources(lapse)) == pending
    assert lapse.roles == (Role.SYSTEM,)
    # Not from drafting, nor once passed.
    for stage in ("drafting", "cabinet_approved", "passed", "governor_assent"):
        assert "lapse" not in {t.action for t in BILL.transitions_from(stage)}, stage

    introduced = bill("introduced", bill_number="B-1", introduced_on="2026-06-01")
    lapsed = act(introduced, "lapse", SYSTEM_ACTOR, comment="The assembly was dissolved")
    assert lapsed.stage == "to_be_reintroduced"
    assert lapsed.status is Status.OPEN
    assert BILL.stage("to_be_reintroduced").time_limit
    assert offered(lapsed, SECRETARY) >= {"reintroduce", "give_notice", "withdraw"}
    assert act(lapsed, "reintroduce", SECRETARY).stage == "cabinet_approved"


def test_nobody_but_the_system_records_a_lapse_or_deems_assent() -> None:
    chair = Actor(email="chair@example.org", role=Role.CHAIR, jurisdiction="federal")
    introduced = bill("introduced", bill_number="B-1", introduced_on="2026-06-01")
    assert "lapse" not in offered(introduced, chair)
    again = bill("governor_assent_again", passed_again_on="2026-06-01")
    assert "deem_assent" not in offered(again, chair)


def test_the_governor_has_ten_calendar_days_and_assent_is_deemed_only_after_reconsideration() -> (
    None
):
    first = BILL.stage("governor_assent")
    assert (first.time_limit, first.clock, first.on_time_limit) == (10, Clock.CALENDAR_DAYS, None)
    again = BILL.stage("governor_assent_again")
    assert (again.time_limit, again.clock, again.on_time_limit) == (
        10,
        Clock.CALENDAR_DAYS,
        "deem_assent",
    )
    [deemed_from] = [s.key for s in BILL.stages if s.on_time_limit]
    assert deemed_from == "governor_assent_again"

    returned = act(bill("governor_assent"), "return_by_governor", SECRETARY, comment="Objections")
    assert returned.stage == "reconsideration"
    assert BILL.stage("reconsideration").assembly
    presented = act(returned, "pass_again", OFFICER, passed_again_on="2026-06-12")
    assert presented.stage == "governor_assent_again"
    deemed = act(presented, "deem_assent", SYSTEM_ACTOR, comment="Ten days passed")
    assert deemed.stage == "assent_deemed"
    enacted = act(
        deemed, "notify_in_gazette", OFFICER, act_number="Act I of 2026", gazette_notification="G-1"
    )
    assert enacted.status is Status.COMPLETED


def test_a_passed_bill_cannot_be_withdrawn() -> None:
    with pytest.raises(IllegalTransitionError):
        act(bill("governor_assent"), "withdraw", SECRETARY, comment="Too late")


@pytest.mark.parametrize(("old", "new"), [(V3, V4), (V4, BILL)], ids=["3-to-4", "4-to-5"])
def test_every_running_stage_of_a_version_maps_to_a_running_stage_of_the_next(
    old: Pipeline, new: Pipeline
) -> None:
    mapping = new.migrates_from
    assert mapping is not None and mapping.version == old.version
    running = [Running(f"B-{s.key}", s.key) for s in old.stages if not s.terminal]
    assert set(mapping.stages) == {item.stage for item in running}
    plan = plan_migration(old, new, running)
    assert [(m.from_stage, m.to_stage) for m in plan.moves] == [
        (item.stage, item.stage) for item in running
    ]


def test_version_5_changes_only_what_follows_enactment() -> None:
    assert BILL.stage("enacted").follow_up == "post_enactment"
    assert [stage.key for stage in BILL.follow_ups()] == ["enacted"]
    assert V4.stage("enacted").follow_up is None
    # Whether assent was given or deemed, enactment is recorded in the one stage.
    notify = next(t for t in BILL.transitions if t.action == "notify_in_gazette")
    assert set(notify.from_) == {"governor_assent", "governor_assent_again", "assent_deemed"}
    assert notify.to == "enacted"
    assert [s.model_dump() for s in V4.stages] == [
        s.model_copy(update={"follow_up": None}).model_dump() for s in BILL.stages
    ]
    assert V4.transitions == BILL.transitions


def test_the_time_limit_action_waits_for_the_tenth_day_to_end_and_for_a_pause() -> None:
    calendar = WorkingCalendar()
    presented = bill("governor_assent_again", passed_again_on="2026-06-12")
    tenth_day_over = end_of_day(local_day(T0) + timedelta(days=10))
    before = time_limit_action(
        BILL, presented, now=tenth_day_over - timedelta(seconds=1), calendar=calendar
    )
    assert before is None
    due = time_limit_action(BILL, presented, now=tenth_day_over, calendar=calendar)
    assert due is not None and due.action == "deem_assent"
    assert "Article 116(3)" in due.reason and "10 calendar days" in due.reason
    paused = replace(presented, paused_at=T0 + timedelta(days=2))
    assert time_limit_action(BILL, paused, now=tenth_day_over, calendar=calendar) is None
    # Three days paused before resuming: the ten days end three days later.
    resumed = replace(presented, stage_paused=timedelta(days=3))
    later = tenth_day_over + timedelta(days=3)
    assert (
        time_limit_action(BILL, resumed, now=later - timedelta(seconds=1), calendar=calendar)
        is None
    )
    assert time_limit_action(BILL, resumed, now=later, calendar=calendar) is not None
    # The first presentation declares no action.
    first = bill("governor_assent")
    assert time_limit_action(BILL, first, now=later, calendar=calendar) is None
