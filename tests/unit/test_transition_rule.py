"""The transition rule on the bundled provincial bill pipeline: what it allows, how it refuses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from states import rules
from states.actors import SYSTEM_ACTOR, Actor, Role, covers
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.errors import (
    CommentRequiredError,
    CommitmentClosedError,
    FieldError,
    IllegalTransitionError,
    RoleNotAllowedError,
    TransitionError,
)
from states.rules import CommitmentState, Status, TransitionRequest

CATALOGUE = Catalogue.from_directories([BUNDLED_PIPELINES])
BILL = CATALOGUE.latest("provincial_bill")
FAN_OUT = CATALOGUE.get("fan_out", 1)
T0 = datetime(2026, 6, 12, 9, 0, tzinfo=UTC)


def person(role: Role, jurisdiction: str = "punjab") -> Actor:
    return Actor(email=f"{role}.{jurisdiction}@example.org", role=role, jurisdiction=jurisdiction)


OFFICER = person(Role.OFFICER)
SECRETARY = person(Role.SECRETARY)
CHIEF_SECRETARY = person(Role.CHIEF_SECRETARY)

CABINET_FIELDS = {"cabinet_decision": "CD-7"}
INTRODUCTION_FIELDS = {"bill_number": "Bill No. 12 of 2026", "introduced_on": "2026-06-01"}


def bill(
    stage: str = "drafting", *, jurisdiction: str = "punjab", **fields: str
) -> CommitmentState:
    return CommitmentState(
        key="PB-1",
        pipeline="provincial_bill",
        pipeline_version=BILL.version,
        jurisdiction=jurisdiction,
        stage=stage,
        status=Status.for_stage(BILL.stage(stage)),
        stage_entered_at=T0,
        fields=dict(fields),
    )


def act(
    state: CommitmentState,
    action: str,
    actor: Actor = OFFICER,
    comment: str | None = None,
    now: datetime = T0 + timedelta(days=1),
    **fields: str,
) -> rules.Outcome:
    request = TransitionRequest(action=action, actor=actor, fields=fields, comment=comment)
    return rules.apply(BILL, state, request, now=now)


# --- refusals ------------------------------------------------------------------


def test_action_not_open_from_the_current_stage() -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        act(bill("drafting"), "pass")
    error = caught.value
    assert (error.key, error.stage, error.action) == ("PB-1", "drafting", "pass")
    assert "it is in drafting" in error.message
    assert "allowed here: send_for_vetting, give_notice, withdraw" in error.message


def test_unknown_action_is_illegal_too() -> None:
    with pytest.raises(
        IllegalTransitionError,
        match="allowed here: refer_to_committee, refer_to_cii, pass, withdraw",
    ):
        act(bill("introduced"), "fly_away")


def test_closed_commitment_does_not_move() -> None:
    closed = act(bill("drafting"), "withdraw", SECRETARY, comment="Superseded").state
    assert closed.status is Status.WITHDRAWN
    with pytest.raises(CommitmentClosedError) as caught:
        act(closed, "lapse", SECRETARY, comment="Assembly dissolved")
    assert "closed (withdrawn) in stage withdrawn" in caught.value.message
    assert rules.options(BILL, closed, SECRETARY) == []


def test_role_not_allowed_names_the_roles_that_are() -> None:
    with pytest.raises(RoleNotAllowedError) as caught:
        act(bill("drafting"), "withdraw", OFFICER, comment="Not needed")
    assert "is officer" in caught.value.message
    assert "this action is for secretary, chief_secretary, chair" in caught.value.message
    assert caught.value.exit_code == 3


def test_people_cannot_take_the_systems_action() -> None:
    state = replace(
        bill(), pipeline="fan_out", pipeline_version=FAN_OUT.version, stage="in_progress"
    )
    chair = person(Role.CHAIR, "federal")
    with pytest.raises(RoleNotAllowedError, match="this action is for system"):
        rules.apply(FAN_OUT, state, TransitionRequest("complete", chair), now=T0)
    done = rules.apply(FAN_OUT, state, TransitionRequest("complete", SYSTEM_ACTOR), now=T0)
    assert done.state.status is Status.COMPLETED


def test_officer_of_another_province_is_refused() -> None:
    with pytest.raises(RoleNotAllowedError) as caught:
        act(bill(jurisdiction="sindh"), "send_for_vetting", person(Role.OFFICER, "punjab"))
    assert "it belongs to sindh" in caught.value.message
    assert "acts for punjab" in caught.value.message


@pytest.mark.parametrize(
    ("actor_jurisdiction", "item_jurisdiction", "allowed"),
    [
        ("federal", "sindh", True),
        ("federal", "punjab/lahore", True),
        ("punjab", "punjab", True),
        ("punjab", "punjab/lahore", True),
        ("punjab/lahore", "punjab/lahore", True),
        ("punjab/lahore", "punjab", False),
        ("punjab/lahore", "punjab/multan", False),
        ("punjab", "sindh/karachi", False),
        ("punjab", "federal", False),
        ("sindh", "federal", False),
    ],
)
def test_jurisdiction_decides_authority(
    actor_jurisdiction: str, item_jurisdiction: str, allowed: bool
) -> None:
    assert covers(actor_jurisdiction, item_jurisdiction) is allowed
    state = bill(jurisdiction=item_jurisdiction)
    actor = person(Role.OFFICER, actor_jurisdiction)
    if allowed:
        assert act(state, "send_for_vetting", actor).state.stage == "law_vetting"
    else:
        with pytest.raises(RoleNotAllowedError, match=f"it belongs to {item_jurisdiction},"):
            act(state, "send_for_vetting", actor)


def test_a_province_does_not_cover_a_name_it_prefixes() -> None:
    assert not covers("punjab", "punjab_north")
    assert not covers("punjab", "punjabi/lahore")


def test_missing_stage_entry_fields_are_named_with_their_titles() -> None:
    with pytest.raises(FieldError) as caught:
        act(bill("cabinet_approved"), "introduce", SECRETARY)
    error = caught.value
    assert error.fields == ("bill_number", "introduced_on")
    assert "missing bill_number (Bill number), introduced_on (Date introduced" in error.message
    assert "--field" not in error.message, "engine messages do not speak of command-line flags"


def test_blank_field_counts_as_missing() -> None:
    with pytest.raises(FieldError) as caught:
        act(
            bill("cabinet_approval"),
            "approve_in_cabinet",
            SECRETARY,
            **{**CABINET_FIELDS, "cabinet_decision": "   "},
        )
    assert caught.value.fields == ("cabinet_decision",)


def test_unknown_field_is_refused_with_the_declared_ones() -> None:
    with pytest.raises(FieldError) as caught:
        act(
            bill("cabinet_approved"),
            "introduce",
            SECRETARY,
            **INTRODUCTION_FIELDS,
            bil_number="12",
        )
    assert caught.value.fields == ("bil_number",)
    assert "unknown field bil_number" in caught.value.message
    assert "bill_number, cabinet_decision, introduced_on" in caught.value.message


@pytest.mark.parametrize("bad", ["1st July 2026", "2026-13-01", "01/07/2026", ""])
def test_malformed_date_field_is_refused(bad: str) -> None:
    fields = {**INTRODUCTION_FIELDS, "introduced_on": bad}
    with pytest.raises(FieldError) as caught:
        act(bill("cabinet_approved"), "introduce", SECRETARY, **fields)
    assert caught.value.fields == ("introduced_on",)
    if bad:
        assert f"field introduced_on must be a date written YYYY-MM-DD, not {bad!r}" in (
            caught.value.message
        )


def test_field_values_are_stored_cleaned() -> None:
    fields = {**INTRODUCTION_FIELDS, "introduced_on": "2026-06-01", "bill_number": " B-12 "}
    outcome = act(bill("cabinet_approved"), "introduce", SECRETARY, **fields)
    assert outcome.state.fields["introduced_on"] == "2026-06-01"
    assert outcome.event.fields["bill_number"] == "B-12"


@pytest.mark.parametrize("comment", [None, "", "   \n"])
def test_required_comment_must_be_given(comment: str | None) -> None:
    with pytest.raises(CommentRequiredError, match="needs a comment saying why"):
        act(bill("law_vetting"), "return_to_drafting", OFFICER, comment=comment)


def test_comment_is_recorded_trimmed() -> None:
    outcome = act(bill("law_vetting"), "return_to_drafting", OFFICER, comment="  Clause 4 unclear ")
    assert outcome.state.stage == "drafting"
    assert outcome.event.comment == "Clause 4 unclear"


def test_fields_recorded_earlier_are_not_asked_again() -> None:
    state = bill("cabinet_approval")
    approve = {o.transition.action: o for o in rules.options(BILL, state, SECRETARY)}
    assert approve["approve_in_cabinet"].needs == ("cabinet_decision",)
    state = act(state, "approve_in_cabinet", SECRETARY, **CABINET_FIELDS).state
    introduce = {o.transition.action: o for o in rules.options(BILL, state, SECRETARY)}
    assert introduce["introduce"].needs == ("bill_number", "introduced_on")
    state = act(state, "introduce", SECRETARY, **INTRODUCTION_FIELDS).state
    assert state.stage == "introduced"

    # Referred to the Council of Islamic Ideology and back: introduced again, nothing asked.
    state = act(state, "refer_to_cii", OFFICER, comment="Referred by the assembly").state
    offered = {o.transition.action: o for o in rules.options(BILL, state, OFFICER)}
    assert offered["return_from_cii"].needs == ()
    assert offered["return_from_cii"].comment_required is True
    back = act(state, "return_from_cii", OFFICER, comment="The Council's advice")
    assert back.state.stage == "introduced"
    assert back.event.fields == {}
    assert back.state.fields["bill_number"] == "Bill No. 12 of 2026"
    # Passing it then asks for the date of passage only.
    passed = act(back.state, "pass", OFFICER, passed_on="2026-06-05").state
    assert passed.stage == "passed"
    assert passed.fields["introduced_on"] == "2026-06-01"


def test_apply_is_pure() -> None:
    fields = {"bill_number": "B-1"}
    state = bill("drafting", **fields)
    snapshot = replace(state, fields=dict(state.fields))
    later = T0 + timedelta(days=3, hours=2)
    outcome = act(state, "send_for_vetting", OFFICER, now=later)
    assert state == snapshot
    assert dict(state.fields) == fields
    assert outcome.state is not state
    assert outcome.state.stage == "law_vetting"
    assert outcome.state.stage_entered_at == later
    assert outcome.event.at == later
    assert outcome.closed is False
    # Asking twice gives the same answer: nothing was remembered in between.
    assert act(state, "send_for_vetting", OFFICER, now=later) == outcome


def test_refused_request_leaves_state_untouched() -> None:
    state = bill("cabinet_approved", cabinet_decision="CD-1")
    snapshot = replace(state, fields=dict(state.fields))
    with pytest.raises(FieldError):
        act(state, "introduce", SECRETARY, bill_number="B")
    assert state == snapshot


def actions(options: list[rules.ActionOption]) -> list[str]:
    return [option.transition.action for option in options]


def test_options_are_filtered_by_actor() -> None:
    state = bill("drafting")
    assert actions(rules.options(BILL, state)) == ["send_for_vetting", "give_notice", "withdraw"]
    assert actions(rules.options(BILL, state, OFFICER)) == ["send_for_vetting", "give_notice"]
    assert actions(rules.options(BILL, state, SECRETARY)) == [
        "send_for_vetting",
        "give_notice",
        "withdraw",
    ]
    assert actions(rules.options(BILL, state, CHIEF_SECRETARY)) == ["withdraw"]
    assert rules.options(BILL, state, person(Role.OFFICER, "sindh")) == []
    assert rules.options(BILL, state, person(Role.ADMINISTRATOR, "federal")) == []
    assert actions(rules.options(BILL, state, person(Role.CHAIR, "federal"))) == ["withdraw"]


def test_options_hide_the_systems_actions() -> None:
    state = replace(bill(), pipeline="fan_out", stage="in_progress", jurisdiction="federal")
    assert actions(rules.options(FAN_OUT, state)) == ["withdraw"]
    assert rules.options(FAN_OUT, state, SYSTEM_ACTOR) == []


# --- property: whatever is asked, the state stays meaningful --------------------

ALL_ACTIONS = [*sorted({t.action for t in BILL.transitions}), "not_an_action"]
STAGES = {stage.key: stage for stage in BILL.stages}
PLACES = ("federal", "punjab", "sindh", "punjab/lahore")
ACTORS = [person(role, place) for role in Role for place in PLACES]
VALID = {"date": "2026-06-01", "text": "X-1", "number": "3", "url": "https://example.org"}

# A step is either "guided" (an action on offer, by someone allowed, with what it
# needs) so that walks get deep into the pipeline, or an arbitrary request.
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=99),
        st.sampled_from(ALL_ACTIONS),
        st.sampled_from(ACTORS),
        st.sampled_from(["guided", "guided", "none", "needed", "junk"]),
        st.sampled_from([None, "", "because"]),
    ),
    max_size=40,
)


def _needs(state: CommitmentState, action: str) -> tuple[str, ...]:
    return next((o.needs for o in rules.options(BILL, state) if o.transition.action == action), ())


def _request(
    state: CommitmentState, step: tuple[int, str, Actor, str, str | None]
) -> TransitionRequest:
    pick, action, actor, mode, comment = step
    offered = rules.options(BILL, state)
    moving_on = [o for o in offered if not STAGES[o.transition.to].terminal]
    if pick < 80 and moving_on:
        offered = moving_on  # mostly keep the commitment open, so walks go deep
    if mode == "guided" and offered:
        transition = offered[pick % len(offered)].transition
        action = transition.action
        actor = person(transition.roles[pick % len(transition.roles)], "federal")
        comment = "because"
        mode = "needed"
    if mode == "none":
        fields = {}
    elif mode == "junk":
        fields = {"introduced_on": "soon", "nonsense": "1"}
    else:
        fields = {name: VALID[BILL.fields[name].kind] for name in _needs(state, action)}
    return TransitionRequest(action, actor, fields, comment)


@settings(max_examples=300, database=None, deadline=None)
@given(steps=steps, jurisdiction=st.sampled_from(["punjab", "sindh", "punjab/lahore"]))
def test_random_requests_never_break_the_state(
    steps: list[tuple[int, str, Actor, str, str | None]], jurisdiction: str
) -> None:
    state = rules.start(
        BILL, key="PB-9", jurisdiction=jurisdiction, actor=SYSTEM_ACTOR, now=T0
    ).state
    now = T0
    for step in steps:
        now += timedelta(hours=1)
        try:
            outcome = rules.apply(BILL, state, _request(state, step), now=now)
        except TransitionError as error:
            assert error.stage == state.stage
            if state.status is not Status.OPEN:
                assert isinstance(error, CommitmentClosedError)
            continue
        assert state.status is Status.OPEN
        assert outcome.event.from_stage == state.stage
        assert outcome.event.to_stage == outcome.state.stage
        assert outcome.state.stage_entered_at == now
        assert set(state.fields) <= set(outcome.state.fields)
        state = outcome.state
        assert state.stage in STAGES
        assert (state.status is Status.OPEN) == (not STAGES[state.stage].terminal)
        assert outcome.closed == STAGES[state.stage].terminal
        assert set(STAGES[state.stage].requires) <= set(state.fields)
