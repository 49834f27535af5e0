"""The pipelines shipped with taskforce: each loads, and each of its endings can be reached."""

from __future__ import annotations

from collections import deque
from datetime import UTC, date, datetime, timedelta

import pytest

from states import rules
from states.actors import SYSTEM_ACTOR, Actor, Role
from states.catalogue import BUNDLED_PIPELINES, Catalogue, load_pipeline_file
from states.definition import FieldKind, Pipeline, Transition
from states.rules import CommitmentState, EventKind, Status, TransitionRequest

CATALOGUE = Catalogue.from_directories([BUNDLED_PIPELINES])
PIPELINES = {pipeline.key: pipeline for pipeline in CATALOGUE.all()}

SAMPLE_VALUES = {
    FieldKind.DATE: "2026-06-01",  # before START: some dates may not be in the future
    FieldKind.NUMBER: "3",
    FieldKind.TEXT: "X-1",
    FieldKind.URL: "https://example.org",
}
START = datetime(2026, 6, 12, 9, 0, tzinfo=UTC)
ADMIN = Actor(email="admin@taskforce.example.org", role=Role.ADMINISTRATOR, jurisdiction="federal")

ENDINGS = [
    pytest.param(pipeline, stage.key, id=f"{pipeline.key}-{stage.key}")
    for pipeline in PIPELINES.values()
    for stage in pipeline.terminal_stages()
]


def test_every_bundled_file_is_a_pipeline() -> None:
    files = sorted(BUNDLED_PIPELINES.glob("*.yaml"))
    assert files, "no bundled pipeline files found"
    assert sorted(PIPELINES) == sorted(path.stem for path in files)
    assert {CATALOGUE.origin(key, p.version) for key, p in PIPELINES.items()} == {
        str(path) for path in files
    }


def _walkable(pipeline: Pipeline, transition: Transition) -> bool:
    """People's actions, plus the system action that closes a parent when its children end."""
    if tuple(transition.roles) == (Role.SYSTEM,):
        return transition.action == pipeline.on_children_done
    return True


def _path_to(pipeline: Pipeline, goal: str) -> list[Transition]:
    """A shortest list of actions leading from the initial stage to `goal` (BFS)."""
    came_from: dict[str, tuple[str, Transition] | None] = {pipeline.initial: None}
    queue = deque([pipeline.initial])
    while queue:
        stage = queue.popleft()
        if stage == goal:
            break
        for transition in pipeline.transitions_from(stage):
            if _walkable(pipeline, transition) and transition.to not in came_from:
                came_from[transition.to] = (stage, transition)
                queue.append(transition.to)
    if goal not in came_from:
        pytest.fail(f"{pipeline.key}: no path from {pipeline.initial} to {goal}")
    path: list[Transition] = []
    stage = goal
    while (step := came_from[stage]) is not None:
        stage, transition = step
        path.append(transition)
    return path[::-1]


def _actor_for(transition: Transition) -> Actor:
    if tuple(transition.roles) == (Role.SYSTEM,):
        return SYSTEM_ACTOR
    role = next(role for role in transition.roles if role is not Role.SYSTEM)
    return Actor(email=f"{role}@example.org", role=role, jurisdiction="federal")


def _request(
    pipeline: Pipeline, state: CommitmentState, transition: Transition
) -> TransitionRequest:
    actor = _actor_for(transition)
    if actor is SYSTEM_ACTOR:
        # The system's actions are never offered to people, nor listed as options.
        offered_to_anyone = {o.transition.action for o in rules.options(pipeline, state)}
        assert transition.action not in offered_to_anyone
        needs: tuple[str, ...] = transition.requires
        comment_required = transition.comment == "required"
    else:
        offered = {o.transition.action: o for o in rules.options(pipeline, state, actor)}
        assert transition.action in offered, f"{transition.action} not offered to {actor.role}"
        needs = offered[transition.action].needs
        comment_required = offered[transition.action].comment_required
    values = {name: SAMPLE_VALUES[pipeline.fields[name].kind] for name in needs}
    return TransitionRequest(
        action=transition.action,
        actor=actor,
        fields=values,
        comment="Recorded in the unit tests" if comment_required else None,
    )


@pytest.mark.parametrize(("pipeline", "goal"), ENDINGS)
def test_every_terminal_stage_can_be_reached(pipeline: Pipeline, goal: str) -> None:
    state = rules.start(pipeline, key="TF-1", jurisdiction="punjab", actor=ADMIN, now=START).state
    assert state.stage == pipeline.initial
    assert state.status is Status.OPEN

    path = _path_to(pipeline, goal)
    assert path, "a terminal stage is never the initial stage"
    now = START
    for number, transition in enumerate(path, start=1):
        now += timedelta(days=1)
        request = _request(pipeline, state, transition)
        outcome = rules.apply(pipeline, state, request, now=now)
        event = outcome.event

        assert event.kind is EventKind.TRANSITION
        assert event.action == transition.action
        assert event.from_stage == state.stage
        assert event.to_stage == transition.to
        assert event.at == now
        assert event.actor_email == request.actor.email
        assert event.actor_role is request.actor.role
        assert dict(event.fields) == dict(request.fields)
        assert outcome.state.stage == transition.to
        assert outcome.state.stage_entered_at == now
        assert all(outcome.state.fields[k] == v for k, v in request.fields.items())
        last = number == len(path)
        assert outcome.closed is last
        assert (outcome.state.status is Status.OPEN) is not last
        state = outcome.state

    stage = pipeline.stage(goal)
    assert state.stage == goal
    assert stage.outcome is not None
    assert state.status == Status(stage.outcome.value)
    # Whatever the terminal stage asks for was recorded on the way in.
    assert set(stage.requires) <= set(state.fields)
    # A closed commitment offers nothing more.
    assert rules.options(pipeline, state) == []


def test_fan_out_completes_only_by_the_system() -> None:
    pipeline = PIPELINES["fan_out"]
    assert pipeline.on_children_done == "complete"
    state = rules.start(pipeline, key="NAT-1", jurisdiction="federal", actor=ADMIN, now=START).state
    chair = Actor(email="chair@example.org", role=Role.CHAIR, jurisdiction="federal")
    offered = [o.transition.action for o in rules.options(pipeline, state, chair)]
    assert offered == ["withdraw"]

    outcome = rules.apply(
        pipeline, state, TransitionRequest(action="complete", actor=SYSTEM_ACTOR), now=START
    )
    assert outcome.state.status is Status.COMPLETED
    assert outcome.event.actor_role is Role.SYSTEM


def test_every_pipeline_has_a_distinct_stable_checksum() -> None:
    again = Catalogue.from_directories([BUNDLED_PIPELINES])
    first = {p.key: p.checksum() for p in CATALOGUE.all()}
    second = {p.key: p.checksum() for p in again.all()}
    assert first == second
    assert len(set(first.values())) == len(first)
    assert all(len(value) == 64 and int(value, 16) >= 0 for value in first.values())


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 6, 12), date(2026, 7, 12)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_commission_appointment_gets_one_calendar_month(start: date, deadline: date) -> None:
    assert PIPELINES["commission_appointment"].deadline_for(start) == deadline


def test_fan_out_has_no_overall_deadline() -> None:
    assert PIPELINES["fan_out"].deadline_for(date(2026, 6, 12)) is None


@pytest.mark.parametrize("pipeline", PIPELINES.values(), ids=list(PIPELINES))
def test_every_ladder_climbs_to_the_chair(pipeline: Pipeline) -> None:
    ladder = pipeline.ladder
    assert ladder, f"{pipeline.key} has no escalation ladder"
    assert ladder[-1].notify is Role.CHAIR
    assert [rung.level for rung in ladder] == list(range(1, len(ladder) + 1))
    afters = [rung.after for rung in ladder]
    assert afters == sorted(set(afters))
    assert all(rung.notify not in (Role.SYSTEM, Role.ADMINISTRATOR) for rung in ladder)


# What installations registered provincial_bill version 3 under: a later format that adds
# settings (assembly stages, deemed assent) must leave a definition that does not use them
# with the checksum it had, or every installation's registration would conflict.
PROVINCIAL_BILL_V3_CHECKSUM = "049cbad449d6329d1c10fa39127a43ae2dcb43a0d9ff643e1484b960693f2162"
PREVIOUS_PIPELINES = BUNDLED_PIPELINES / "previous"


def test_provincial_bill_version_3_keeps_its_checksum() -> None:
    kept = load_pipeline_file(PREVIOUS_PIPELINES / "provincial_bill.v3.yaml")
    assert (kept.key, kept.version) == ("provincial_bill", 3)
    assert kept.checksum() == PROVINCIAL_BILL_V3_CHECKSUM
