"""A model-based test of the engine: random runs of moves, answers, sweeps and clock moves.

Hypothesis drives a `RuleBasedStateMachine` through the public service layer
(`db.workflow.advance`, `db.escalations.acknowledge`/`snooze`/`exempt`,
`db.sweep.run_sweep`) on a real database, SQLite and PostgreSQL. Beside it runs a
small model: per commitment a stage, status, version, fields, stall episode,
snooze, exemption and the rungs escalated. The model decides what is legal from
the pipeline definitions (data) alone; for working days it asks `states.stalls`,
whose calendar arithmetic has its own tests. After every step:

- the database equals the model, and every refused request changed nothing;
- each commitment's row equals a replay of its events, along legal transitions only;
- the escalations are exactly the model's: one per commitment, stall episode and level;
- a fanned-out parent is completed exactly when, and only after, every child has ended.

Each example starts a fresh set of commitments (their own key prefix) in the test's
database. Set TASKFORCE_TEST_MODEL_EXAMPLES to run a longer campaign.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db import escalations, queries, workflow
from db.engine import transaction
from db.models import Commitment, Escalation, Event, OutboxMessage, Person
from db.sweep import run_sweep
from states.actors import SYSTEM_ACTOR, Role, covers
from states.calendar import WorkingCalendar, local_day
from states.catalogue import Catalogue
from states.definition import FieldKind, Pipeline, Transition
from states.errors import (
    CommentRequiredError,
    CommitmentClosedError,
    ConflictError,
    FieldError,
    IllegalTransitionError,
    NotFoundError,
    RoleNotAllowedError,
    TaskforceError,
    TransitionError,
)
from states.rules import CommitmentState, Status
from states.stalls import assess, due

# A Monday after the bundled meeting; the microseconds check timestamps round-trip whole.
BASE = datetime(2026, 6, 15, 9, 0, 0, 123_456, tzinfo=UTC)
# The model's clock stops here: far enough for every rung of every ladder.
LAST = BASE + timedelta(days=140)
CALENDAR = WorkingCalendar()
EXAMPLES = int(os.environ.get("TASKFORCE_TEST_MODEL_EXAMPLES", "20"))
STEPS = 25

SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Someone:
    """A person as the model knows them: what they may do, and where."""

    role: Role
    jurisdiction: str
    department: str
    active: bool = True


PEOPLE = {
    "officer.lahore@example.org": Someone(Role.OFFICER, "punjab/lahore", "human_rights"),
    "officer.punjab@example.org": Someone(Role.OFFICER, "punjab", "human_rights"),
    "secretary.punjab@example.org": Someone(Role.SECRETARY, "punjab", "human_rights"),
    "chief.punjab@example.org": Someone(Role.CHIEF_SECRETARY, "punjab", "services"),
    "officer.sindh@example.org": Someone(Role.OFFICER, "sindh", "human_rights"),
    "secretary.sindh@example.org": Someone(Role.SECRETARY, "sindh", "human_rights"),
    "federal.secretary@example.org": Someone(Role.FEDERAL_SECRETARY, "federal", "human_rights"),
    "chair@example.org": Someone(Role.CHAIR, "federal", "task_force"),
    "admin@example.org": Someone(Role.ADMINISTRATOR, "federal", "it"),
    "retired.secretary@example.org": Someone(Role.SECRETARY, "punjab", "human_rights", False),
}
STRANGER = "nobody@example.org"  # no such person
EVERYONE = (*PEOPLE, STRANGER)


@dataclass(frozen=True)
class Plan:
    """A commitment each example starts; its key is the example's prefix and `suffix`."""

    suffix: str
    pipeline: str
    jurisdiction: str
    officer: str | None = None
    parent: str | None = None


# A national commitment fanned out to a Lahore and a Sindh task, and a Sindh bill with no
# officer of its own (Sindh has no chief secretary here: that rung goes to the chair).
PLANS = (
    Plan("NAT", "fan_out", "federal"),
    Plan("LHR", "action_task", "punjab/lahore", "officer.lahore@example.org", "NAT"),
    Plan("SND", "action_task", "sindh", "officer.sindh@example.org", "NAT"),
    Plan("BILL", "provincial_bill", "sindh"),
)
SUFFIXES = st.sampled_from([plan.suffix for plan in PLANS])

GOOD = {
    FieldKind.TEXT: "REF/7",
    FieldKind.NUMBER: "7",
    FieldKind.DATE: "2026-06-01",
    FieldKind.URL: "https://example.org/a",
}
BAD = {FieldKind.NUMBER: "seven", FieldKind.DATE: "1 July", FieldKind.URL: "example dot org"}
COMMENTS = st.sampled_from(["as agreed", None, "  "])
REASONS = st.sampled_from(["the cabinet meets on Monday", "   "])


@dataclass
class Rung:
    """An escalation the model expects: when the sweep recorded it, whether it was answered."""

    created_at: datetime
    acknowledged: bool = False


@dataclass
class Expected:
    """What the model says one commitment is."""

    plan: Plan
    key: str
    pipeline: Pipeline
    deadline: date | None
    stage: str
    entered_at: datetime
    status: str = "open"
    version: int = 1
    events: int = 1
    episode: int = 1  # stage_seq: the number of the event that entered the stage
    fields: dict[str, str] = field(default_factory=dict)
    closed_at: datetime | None = None
    snoozed_until: date | None = None
    exempt: bool = False
    rungs: dict[tuple[int, int], Rung] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def state(self) -> CommitmentState:
        return CommitmentState(
            key=self.key,
            pipeline=self.pipeline.key,
            pipeline_version=self.pipeline.version,
            jurisdiction=self.plan.jurisdiction,
            stage=self.stage,
            status=Status(self.status),
            stage_entered_at=self.entered_at,
            fields=dict(self.fields),
        )

    def due_at(self) -> datetime | None:
        when = due(self.pipeline, self.state(), deadline=self.deadline, calendar=CALENDAR)
        return when.at if when else None


@dataclass
class World:
    """What every example shares: the test's database, its catalogue, and the tallies."""

    sessions: sessionmaker[Session]
    catalogue: Catalogue
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    tally: Counter[str] = field(default_factory=Counter)


def _status_of(pipeline: Pipeline, stage: str) -> str:
    target = pipeline.stage(stage)
    if not target.terminal:
        return "open"
    assert target.outcome is not None
    return target.outcome.value


def _needed(item: Expected, transition: Transition) -> list[str]:
    """The fields a transition asks for: its own, and its target's not known yet."""
    names = list(transition.requires)
    names += [n for n in item.pipeline.stage(transition.to).requires if n not in item.fields]
    return list(dict.fromkeys(names))


def _to_completion(pipeline: Pipeline) -> dict[str, int]:
    """How many moves each stage is from a stage that completes the commitment."""
    distance = {
        stage.key: 0
        for stage in pipeline.stages
        if stage.terminal and _status_of(pipeline, stage.key) == "completed"
    }
    changed = True
    while changed:
        changed = False
        for stage in pipeline.stages:
            for t in pipeline.transitions_from(stage.key):
                if t.to in distance and distance[t.to] + 1 < distance.get(stage.key, 1 << 30):
                    distance[stage.key] = distance[t.to] + 1
                    changed = True
    return distance


def _forward(item: Expected, transition: Transition) -> bool:
    """Whether the move brings the commitment nearer its end (completing it or not)."""
    distance = _to_completion(item.pipeline)
    if item.pipeline.stage(transition.to).terminal:
        return True
    return distance.get(transition.to, 1 << 30) < distance.get(item.stage, 1 << 30)


def _transition(item: Expected, action: str) -> Transition | None:
    found = [t for t in item.pipeline.transitions_from(item.stage) if t.action == action]
    return found[0] if found else None


def _rank_above_officer(who: Someone) -> bool:
    return who.role in (
        Role.SECRETARY,
        Role.CHIEF_SECRETARY,
        Role.FEDERAL_SECRETARY,
        Role.CHAIR,
    )


class EngineMachine(RuleBasedStateMachine):
    """One example: four new commitments, then up to STEPS random steps.

    `world` is set on a subclass made for each test's database (`machine_on`).
    """

    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        world = self.world
        self.now = BASE
        self.prefix = f"MB{next(world.numbers)}"
        self.items: dict[str, Expected] = {}
        with transaction(world.sessions) as session:
            for plan in PLANS:
                self.items[plan.suffix] = self._start(session, plan)
        world.tally["examples"] += 1

    # --- set-up ---------------------------------------------------------------------------

    def _start(self, session: Session, plan: Plan) -> Expected:
        key = f"{self.prefix}-{plan.suffix}"
        pipeline = self.world.catalogue.latest(plan.pipeline)
        parent = self.items[plan.parent].key if plan.parent else None
        officer = session.scalar(select(Person).where(Person.email == plan.officer))
        workflow.create(
            session,
            self.world.catalogue,
            workflow.NewCommitment(
                key=key,
                title=f"Model commitment {key}",
                pipeline=plan.pipeline,
                jurisdiction=plan.jurisdiction,
                department="human_rights",
                start_date=BASE.date(),
                started_at=BASE,
                officer=officer,
                parent=queries.get_commitment(session, parent) if parent else None,
            ),
            actor=SYSTEM_ACTOR,
        )
        return Expected(
            plan=plan,
            key=key,
            pipeline=pipeline,
            deadline=pipeline.deadline_for(BASE.date()),
            stage=pipeline.initial,
            entered_at=BASE,
        )

    def children(self, item: Expected) -> list[Expected]:
        return [i for i in self.items.values() if i.plan.parent == item.plan.suffix]

    # --- the clock -----------------------------------------------------------------------

    @precondition(lambda self: self.now < LAST)
    @rule(hours=st.integers(1, 14).map(lambda days: 24 * days) | st.integers(1, 12))
    def time_passes(self, hours: int) -> None:
        """Days or hours pass (never beyond LAST)."""
        if not hours:
            return
        self.now = min(self.now + timedelta(hours=hours), LAST)
        self.world.tally["clock moves"] += 1
        self.world.tally["days simulated"] = max(
            self.world.tally["days simulated"], (self.now - BASE).days
        )

    # --- advancing -----------------------------------------------------------------------

    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """Mostly an action open here by someone who may take it (its fields, comment and
        version right or wrong); else any action by anyone, with anything."""
        if data.draw(st.integers(0, 3)):
            self._legal_move(data, list(self.items.values()), forward=False)
            return
        item = self.items[data.draw(SUFFIXES)]
        action = data.draw(self._actions())
        self._advance(data, item, action, data.draw(st.sampled_from(EVERYONE)))

    @rule(data=st.data())
    def a_child_moves_on(self, data: st.DataObject) -> None:
        """A child of the national commitment moves legally towards its end: the roll-up."""
        self._legal_move(data, [i for i in self.items.values() if i.plan.parent], forward=True)

    def _legal_move(self, data: st.DataObject, among: list[Expected], *, forward: bool) -> None:
        movable = {
            item.plan.suffix: [
                t
                for t in item.pipeline.transitions_from(item.stage)
                if Role.SYSTEM not in t.roles and (not forward or _forward(item, t))
            ]
            for item in among
            if item.is_open
        }
        movable = {suffix: moves for suffix, moves in movable.items() if moves}
        if not movable:
            return
        item = self.items[data.draw(st.sampled_from(sorted(movable)))]
        transition = data.draw(st.sampled_from(movable[item.plan.suffix]))
        able = [
            email
            for email, who in PEOPLE.items()
            if who.active
            and who.role in transition.roles
            and covers(who.jurisdiction, item.plan.jurisdiction)
        ]
        if forward:
            actor = data.draw(st.sampled_from(able or list(EVERYONE)))
            self._advance(
                data,
                item,
                transition.action,
                actor,
                fields_mode="needed",
                comments=st.just("as agreed"),
                versions=st.sampled_from([item.version, None]),
            )
            return
        # Mostly someone who may take it; sometimes anyone (the wrong role or province).
        actor = data.draw(st.sampled_from([*able, *able, *EVERYONE]))
        self._advance(
            data,
            item,
            transition.action,
            actor,
            fields_mode=data.draw(
                st.sampled_from(["needed", "extra", "needed", "none", "bad", "unknown", "blank"])
            ),
            comments=st.sampled_from(["as agreed", None]),
            versions=st.sampled_from([item.version, None, item.version - 1]),
        )

    def _actions(self) -> st.SearchStrategy[str]:
        names = sorted(
            {t.action for i in self.items.values() for t in i.pipeline.transitions}
            | {"no_such_action", "acknowledge"}
        )
        return st.sampled_from(names)

    def _fields(
        self, data: st.DataObject, item: Expected, action: str, mode: str | None
    ) -> dict[str, str]:
        transition = _transition(item, action)
        needed = _needed(item, transition) if transition else []
        declared = item.pipeline.fields
        mode = mode or data.draw(
            st.sampled_from(["needed", "none", "blank", "bad", "unknown", "extra"])
        )
        given = {name: GOOD[declared[name].kind] for name in needed}
        if mode == "none":
            return {}
        if mode == "blank" and needed:
            given[data.draw(st.sampled_from(needed))] = "  "
        elif mode == "bad":
            checked = sorted(n for n, spec in declared.items() if spec.kind in BAD)
            if checked:
                name = data.draw(st.sampled_from(checked))
                given[name] = BAD[declared[name].kind]
        elif mode == "unknown":
            given["no_such_field"] = "x"
        elif mode == "extra" and declared:
            name = data.draw(st.sampled_from(sorted(declared)))
            given.setdefault(name, GOOD[declared[name].kind])
        return given

    def _advance(
        self,
        data: st.DataObject,
        item: Expected,
        action: str,
        actor: str,
        *,
        fields_mode: str | None = None,
        comments: st.SearchStrategy[str | None] = COMMENTS,
        versions: st.SearchStrategy[int | None] | None = None,
    ) -> None:
        fields = self._fields(data, item, action, fields_mode)
        comment = data.draw(comments)
        if versions is None:
            versions = st.sampled_from([None, item.version, item.version - 1, item.version + 1])
        self.take(item, action, actor, fields, comment, data.draw(versions))

    def take(
        self,
        item: Expected,
        action: str,
        actor: str,
        fields: dict[str, str] | None = None,
        comment: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Ask the engine to take `action`, and check its answer against the model's."""
        fields = fields or {}
        refusal = self._advance_refusal(item, action, actor, fields, comment, expected_version)
        before = self._fingerprint()
        try:
            with transaction(self.world.sessions) as session:
                result = workflow.advance(
                    session,
                    self.world.catalogue,
                    key=item.key,
                    action=action,
                    actor_email=actor,
                    fields=fields,
                    comment=comment,
                    now=self.now,
                    expected_version=expected_version,
                )
        except TaskforceError as error:
            self._refused("advance", error, refusal, before)
            return
        assert refusal is None, (
            f"{action} on {item.key} by {actor} was accepted; the model expected {refusal.__name__}"
        )
        transition = _transition(item, action)
        assert transition is not None
        self._move(item, transition.to, fields)
        assert result.event.seq == item.events
        rolled = self._roll_up(item)
        assert result.rolled_up == rolled
        self.world.tally["advances accepted"] += 1
        self.world.tally["parents completed"] += len(rolled)

    def _advance_refusal(
        self,
        item: Expected,
        action: str,
        actor: str,
        fields: dict[str, str],
        comment: str | None,
        expected_version: int | None,
    ) -> type[TaskforceError] | None:
        """The error the engine must raise, in the order it checks, or None if it must move."""
        if expected_version is not None and expected_version != item.version:
            return ConflictError
        who = PEOPLE.get(actor)
        if who is None or not who.active:
            return NotFoundError
        if not item.is_open:
            return CommitmentClosedError
        transition = _transition(item, action)
        if transition is None:
            return IllegalTransitionError
        if who.role not in transition.roles or not covers(who.jurisdiction, item.plan.jurisdiction):
            return RoleNotAllowedError
        declared = item.pipeline.fields
        if (
            any(name not in declared for name in fields)
            or any(not fields.get(name, "").strip() for name in _needed(item, transition))
            or any(value in BAD.values() for value in fields.values())
        ):
            return FieldError
        if transition.comment == "required" and not (comment or "").strip():
            return CommentRequiredError
        return None

    def _move(self, item: Expected, stage: str, fields: dict[str, str]) -> None:
        item.events += 1
        item.version += 1
        item.episode = item.events
        item.stage = stage
        item.status = _status_of(item.pipeline, stage)
        item.entered_at = self.now
        item.fields.update(fields)
        item.snoozed_until = None
        item.closed_at = None if item.is_open else self.now

    def _roll_up(self, child: Expected) -> tuple[str, ...]:
        """The parents the model completes because `child` just ended."""
        completed: list[str] = []
        current = child
        while not current.is_open and current.plan.parent is not None:
            parent = self.items[current.plan.parent]
            action = parent.pipeline.on_children_done
            if (
                not parent.is_open
                or action is None
                or any(c.is_open for c in self.children(parent))
            ):
                break
            transition = _transition(parent, action)
            assert transition is not None
            self._move(parent, transition.to, {})
            completed.append(parent.key)
            current = parent
        return tuple(completed)

    # --- answering escalations -----------------------------------------------------------

    def _pending(self, item: Expected) -> list[tuple[int, int]]:
        """The model's unanswered escalations of the item's current stall episode."""
        return [
            (seq, level)
            for (seq, level), rung in item.rungs.items()
            if seq == item.episode and level > 0 and not rung.acknowledged
        ]

    def _answerers(self, item: Expected) -> list[str]:
        return [
            email
            for email, who in PEOPLE.items()
            if who.active
            and _rank_above_officer(who)
            and covers(who.jurisdiction, item.plan.jurisdiction)
        ]

    @rule(data=st.data())
    def acknowledge(self, data: st.DataObject) -> None:
        """Mostly someone above an escalated item acknowledges it; else anyone, anything."""
        waiting = [s for s, i in self.items.items() if self._pending(i)]
        if waiting and data.draw(st.integers(0, 3)) > 0:
            item = self.items[data.draw(st.sampled_from(waiting))]
            actor = data.draw(st.sampled_from(self._answerers(item)))
        else:
            item = self.items[data.draw(SUFFIXES)]
            actor = data.draw(st.sampled_from(EVERYONE))
        self.acknowledge_as(item, actor, data.draw(REASONS))

    def acknowledge_as(self, item: Expected, actor: str, reason: str) -> None:
        pending = self._pending(item)
        refusal = self._answer_refusal(item, actor, reason)
        if refusal is None and not pending:
            refusal = NotFoundError
        before = self._fingerprint()
        try:
            with transaction(self.world.sessions) as session:
                covered = escalations.acknowledge(
                    session, key=item.key, actor_email=actor, reason=reason, now=self.now
                )
        except TaskforceError as error:
            self._refused("acknowledge", error, refusal, before)
            return
        assert refusal is None, f"acknowledged {item.key}; expected {refusal.__name__}"
        assert covered == len(pending)
        for rung in pending:
            item.rungs[rung].acknowledged = True
        item.events += 1
        self.world.tally["acknowledgements"] += 1

    @rule(data=st.data())
    def snooze(self, data: st.DataObject) -> None:
        """Mostly someone above an escalated item holds it a few days; else anyone, anything."""
        waiting = [s for s, i in self.items.items() if self._pending(i)]
        if waiting and data.draw(st.integers(0, 3)) > 0:
            item = self.items[data.draw(st.sampled_from(waiting))]
            actor = data.draw(st.sampled_from(self._answerers(item)))
            days = data.draw(st.integers(1, item.pipeline.snooze_max_days))
        else:
            item = self.items[data.draw(SUFFIXES)]
            actor = data.draw(st.sampled_from(EVERYONE))
            days = data.draw(st.integers(-1, item.pipeline.snooze_max_days + 1))
        self.snooze_as(item, actor, data.draw(REASONS), days)

    def snooze_as(self, item: Expected, actor: str, reason: str, days: int) -> None:
        today = local_day(self.now)
        longest = item.pipeline.snooze_max_days
        until = today + timedelta(days=days)
        refusal = self._answer_refusal(item, actor, reason)
        if refusal is None and not today < until <= today + timedelta(days=longest):
            refusal = TransitionError
        before = self._fingerprint()
        try:
            with transaction(self.world.sessions) as session:
                escalations.snooze(
                    session,
                    self.world.catalogue,
                    key=item.key,
                    actor_email=actor,
                    until=until,
                    reason=reason,
                    now=self.now,
                    today=today,
                )
        except TaskforceError as error:
            self._refused("snooze", error, refusal, before)
            return
        assert refusal is None, f"snoozed {item.key}; expected {refusal.__name__}"
        # The version is the row's optimistic lock: it moves when the row changes.
        item.version += until != item.snoozed_until
        item.snoozed_until = until
        item.events += 1
        self.world.tally["snoozes"] += 1

    @rule(data=st.data())
    def exempt(self, data: st.DataObject) -> None:
        item = self.items[data.draw(SUFFIXES)]
        actor = data.draw(st.sampled_from(["chair@example.org", *EVERYONE]))
        reason = data.draw(REASONS)
        self.exempt_as(item, actor, reason)

    def exempt_as(self, item: Expected, actor: str, reason: str) -> None:
        refusal = self._answer_refusal(item, actor, reason, chair_only=True)
        before = self._fingerprint()
        try:
            with transaction(self.world.sessions) as session:
                escalations.exempt(
                    session, key=item.key, actor_email=actor, reason=reason, now=self.now
                )
        except TaskforceError as error:
            self._refused("exempt", error, refusal, before)
            return
        assert refusal is None, f"exempted {item.key}; expected {refusal.__name__}"
        item.version += not item.exempt
        item.exempt = True
        item.events += 1
        self.world.tally["exemptions"] += 1

    @rule(data=st.data())
    def remark(self, data: st.DataObject) -> None:
        """Anyone remarks on any item, open or closed: a remark adds an event and moves nothing."""
        item = self.items[data.draw(SUFFIXES)]
        actor = data.draw(st.sampled_from(EVERYONE))
        text = data.draw(REASONS)
        who = PEOPLE.get(actor)
        refusal: type[TaskforceError] | None = None
        if who is None or not who.active:
            refusal = NotFoundError
        elif not covers(who.jurisdiction, item.plan.jurisdiction):
            refusal = RoleNotAllowedError
        elif not text.strip():
            refusal = CommentRequiredError
        before = self._fingerprint()
        try:
            with transaction(self.world.sessions) as session:
                workflow.note(session, key=item.key, actor_email=actor, text=text, now=self.now)
        except TaskforceError as error:
            self._refused("remark", error, refusal, before)
            return
        assert refusal is None, f"remarked on {item.key}; expected {refusal.__name__}"
        item.events += 1  # and nothing else: stage, clock, episode and version stay
        self.world.tally["remarks"] += 1

    def _answer_refusal(
        self, item: Expected, actor: str, reason: str, *, chair_only: bool = False
    ) -> type[TaskforceError] | None:
        who = PEOPLE.get(actor)
        if who is None or not who.active:
            return NotFoundError
        if not item.is_open:
            return TransitionError
        if not reason.strip():
            return CommentRequiredError
        if chair_only:
            return None if who.role is Role.CHAIR else RoleNotAllowedError
        if not _rank_above_officer(who) or not covers(who.jurisdiction, item.plan.jurisdiction):
            return RoleNotAllowedError
        return None

    # --- the sweep -----------------------------------------------------------------------

    @precondition(lambda self: self.now < LAST)
    @rule(days=st.integers(1, 5))
    def days_pass_with_a_daily_sweep(self, days: int) -> None:
        """As scheduled: each day the clock moves on a day and the sweep runs."""
        for _ in range(days):
            self.time_passes(24)
            self.sweep(0)

    @rule(hours=st.sampled_from([0, 1, 6]))
    def sweep(self, hours: int) -> None:
        """The sweep runs again: at once (a rerun) or a few hours later."""
        self.time_passes(hours)
        expected_parents = self._sweep_roll_ups()
        expected = self._sweep_rungs()
        # A simulation on its own database: the sweep records as of the model's clock.
        report = run_sweep(
            self.world.sessions, self.world.catalogue, CALENDAR, now=self.now, simulated=True
        )
        assert not report.dry_run
        mine = {i.key for i in self.items.values()}
        escalated = sorted((n.key, n.level) for n in report.escalations if n.key in mine)
        reminded = sorted((n.key, n.level) for n in report.reminders if n.key in mine)
        assert escalated == sorted((k, level) for k, level in expected if level > 0)
        assert reminded == sorted((k, level) for k, level in expected if level == 0)
        assert [k for k in report.completed_parents if k in mine] == expected_parents
        assert not [k for k in report.lapsed if k in mine]
        self.world.tally["sweeps"] += 1
        self.world.tally["escalations"] += len(escalated)
        self.world.tally["reminders"] += len(reminded)

    def _sweep_roll_ups(self) -> list[str]:
        """Parents the sweep's safety net completes: none, as the last child's move did it."""
        completed: list[str] = []
        for item in self.items.values():
            action = item.pipeline.on_children_done
            children = self.children(item)
            if item.is_open and action and children and not any(c.is_open for c in children):
                transition = _transition(item, action)
                assert transition is not None
                self._move(item, transition.to, {})
                completed.append(item.key)
        return completed

    def _sweep_rungs(self) -> list[tuple[str, int]]:
        """The rungs this sweep must record, added to the model: (key, level)."""
        today = local_day(self.now)
        recorded: list[tuple[str, int]] = []
        for item in self.items.values():
            if not item.is_open or item.exempt:
                continue
            reached = {level for seq, level in item.rungs if seq == item.episode}
            stall = assess(
                item.pipeline, item.state(), deadline=item.deadline, now=self.now, calendar=CALENDAR
            )
            snoozed = item.snoozed_until is not None and item.snoozed_until >= today
            if stall is not None:
                if snoozed or stall.level is None:
                    continue
                levels = [
                    r.level
                    for r in item.pipeline.ladder
                    if r.level <= stall.level.level and r.level not in reached
                ]
            else:
                levels = [0] if self._reminder_due(item, today) and 0 not in reached else []
            for level in levels:
                item.rungs[(item.episode, level)] = Rung(created_at=self.now)
                recorded.append((item.key, level))
        return recorded

    def _reminder_due(self, item: Expected, today: date) -> bool:
        """Within the pipeline's reminder window of working days before the due time.

        A snooze holds escalations, not the reminder before the due time.
        """
        when = due(item.pipeline, item.state(), deadline=item.deadline, calendar=CALENDAR)
        if when is None or item.pipeline.reminder_days_before == 0:
            return False
        due_day = local_day(when.at - timedelta(microseconds=1))
        left = CALENDAR.working_days_between(today, due_day, item.plan.jurisdiction)
        return left <= item.pipeline.reminder_days_before

    # --- refusals ------------------------------------------------------------------------

    def _refused(
        self,
        what: str,
        error: TaskforceError,
        expected: type[TaskforceError] | None,
        before: tuple[int, ...],
    ) -> None:
        assert expected is not None, f"{what} was refused, the model expected it to pass: {error}"
        assert type(error) is expected, (
            f"{what} was refused with {type(error).__name__} ({error}); the model expected"
            f" {expected.__name__}"
        )
        assert self._fingerprint() == before, f"the refused {what} changed the database"
        self.world.tally[f"{what} refused"] += 1
        self.world.tally[f"{what} refused: {expected.__name__}"] += 1

    def _fingerprint(self) -> tuple[int, ...]:
        """How many events, escalations, answered escalations and messages the database holds."""
        with self.world.sessions() as session:
            row = session.execute(
                select(
                    select(func.count()).select_from(Event).scalar_subquery(),
                    select(func.count()).select_from(Escalation).scalar_subquery(),
                    select(func.count())
                    .select_from(Escalation)
                    .where(Escalation.acknowledged_at.is_not(None))
                    .scalar_subquery(),
                    select(func.count()).select_from(OutboxMessage).scalar_subquery(),
                    select(func.coalesce(func.sum(Commitment.version), 0)).scalar_subquery(),
                )
            ).one()
            return tuple(int(value) for value in row)

    # --- the invariants ------------------------------------------------------------------

    @invariant()
    def the_database_agrees_with_the_model(self) -> None:
        self.world.tally["database checks"] += 1
        with self.world.sessions() as session:
            rows = {
                c.key: c
                for c in session.scalars(
                    select(Commitment).where(
                        Commitment.key.in_([i.key for i in self.items.values()])
                    )
                )
            }
            ids = {c.id: c.key for c in rows.values()}
            history: dict[str, list[Event]] = {key: [] for key in rows}
            for event in session.scalars(
                select(Event)
                .where(Event.commitment_id.in_(ids))
                .order_by(Event.commitment_id, Event.seq)
            ):
                history[ids[event.commitment_id]].append(event)
            rungs: dict[str, dict[tuple[int, int], Escalation]] = {key: {} for key in rows}
            for escalation in session.scalars(
                select(Escalation).where(Escalation.commitment_id.in_(ids))
            ):
                found = rungs[ids[escalation.commitment_id]]
                rung = (escalation.stage_seq, escalation.level)
                assert rung not in found, f"{ids[escalation.commitment_id]}: {rung} twice"
                found[rung] = escalation
            messages = Counter(
                session.scalars(
                    select(OutboxMessage.escalation_id).where(
                        OutboxMessage.escalation_id.in_(
                            [e.id for found in rungs.values() for e in found.values()]
                        )
                    )
                )
            )
            for item in self.items.values():
                row = rows[item.key]
                self._compare(item, row, ids)
                self._replay(item, row, history[item.key])
                self._escalations(item, rungs[item.key], history[item.key], messages)
            self._parents()

    def _compare(self, item: Expected, row: Commitment, ids: dict[int, str]) -> None:
        stored = {
            "stage": row.stage,
            "status": row.status,
            "version": row.version,
            "stage_seq": row.stage_seq,
            "fields": dict(row.fields),
            "stage_entered_at": row.stage_entered_at,
            "closed_at": row.closed_at,
            "snoozed_until": row.snoozed_until,
            "exempt": row.exempt,
            "due_at": row.due_at,
            "parent": ids.get(row.parent_id) if row.parent_id else None,
        }
        parent = self.items[item.plan.parent].key if item.plan.parent else None
        expected = {
            "stage": item.stage,
            "status": item.status,
            "version": item.version,
            "stage_seq": item.episode,
            "fields": item.fields,
            "stage_entered_at": item.entered_at,
            "closed_at": item.closed_at,
            "snoozed_until": item.snoozed_until,
            "exempt": item.exempt,
            "due_at": item.due_at(),
            "parent": parent,
        }
        assert stored == expected, f"{item.key}: stored {stored}, model {expected}"

    def _replay(self, item: Expected, row: Commitment, events: list[Event]) -> None:
        """Fold the event log; it must give the stored row, along legal transitions only."""
        pipeline = item.pipeline
        assert [e.seq for e in events] == list(range(1, len(events) + 1)), "gaps in the log"
        assert len(events) == item.events
        first, *rest = events
        assert (first.kind, first.from_stage, first.to_stage) == ("created", None, pipeline.initial)
        stage, status, fields = first.to_stage, "open", dict(first.fields)
        episode, entered, closed, version = 1, first.at, None, 1
        snoozed: date | None = None
        exempt = False
        for event in rest:
            assert event.at >= entered, f"{item.key}: event {event.seq} goes back in time"
            if event.kind == "note":  # a remark, open or closed: no stage, episode or version
                assert (event.from_stage, event.to_stage) == (stage, stage)
                continue
            if event.kind == "transition":
                assert status == "open", f"{item.key} moved after it closed"
                assert event.from_stage == stage
                assert any(
                    t.action == event.action
                    and t.to == event.to_stage
                    and Role(event.actor_role) in t.roles
                    for t in pipeline.transitions_from(stage)
                ), f"{item.key}: {event.action} by {event.actor_role} from {stage} is not legal"
                target = pipeline.stage(event.to_stage)
                fields.update(event.fields)
                missing = [n for n in target.requires if not fields.get(n, "").strip()]
                assert not missing, f"{item.key} reached {target.key} without {missing}"
                stage, status = event.to_stage, _status_of(pipeline, event.to_stage)
                episode, entered, version, snoozed = event.seq, event.at, version + 1, None
                closed = event.at if target.terminal else None
                continue
            assert status == "open", f"{item.key}: {event.kind} after it closed"
            assert (event.from_stage, event.to_stage) == (stage, stage)
            assert event.comment and event.comment.strip()
            if event.kind == "snoozed":
                until = date.fromisoformat(event.fields["until"])
                version += until != snoozed
                snoozed = until
            elif event.kind == "exempted":
                assert Role(event.actor_role) is Role.CHAIR
                version += not exempt
                exempt = True
            else:
                assert event.kind == "acknowledged", event.kind
        replayed = (stage, status, fields, episode, entered, closed, version, snoozed, exempt)
        assert replayed == (
            row.stage,
            row.status,
            dict(row.fields),
            row.stage_seq,
            row.stage_entered_at,
            row.closed_at,
            row.version,
            row.snoozed_until,
            row.exempt,
        ), f"{item.key}: the row differs from a replay of its events"

    def _escalations(
        self,
        item: Expected,
        stored: dict[tuple[int, int], Escalation],
        events: list[Event],
        messages: Counter[int | None],
    ) -> None:
        found = {rung: (e.created_at, e.acknowledged_at is not None) for rung, e in stored.items()}
        expected = {rung: (r.created_at, r.acknowledged) for rung, r in item.rungs.items()}
        assert found == expected, f"{item.key}: escalations {found}, model {expected}"
        episodes = {e.seq for e in events if e.kind in ("created", "transition")}
        for (seq, level), escalation in stored.items():
            assert seq in episodes, f"{item.key}: an escalation of episode {seq}, never entered"
            assert escalation.recipients, f"{item.key}: level {level} reached nobody"
            assert messages[escalation.id] == len(escalation.recipients)

    def _parents(self) -> None:
        for item in self.items.values():
            children = self.children(item)
            if not children or item.pipeline.on_children_done is None:
                continue
            ended = not any(child.is_open for child in children)
            if item.status == "completed":
                assert ended, f"{item.key} completed with a child still open"
                assert item.closed_at is not None
                assert all(
                    child.closed_at is not None and child.closed_at <= item.closed_at
                    for child in children
                )
            elif item.is_open:
                assert not ended, f"{item.key} is open although every child has ended"


def machine_on(world: World) -> type[EngineMachine]:
    """The machine bound to one test's database."""

    class OnThisDatabase(EngineMachine):
        pass

    OnThisDatabase.world = world
    return OnThisDatabase


def _add_people(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for email, who in PEOPLE.items():
            session.add(
                Person(
                    email=email,
                    name=email.partition("@")[0],
                    role=who.role.value,
                    jurisdiction=who.jurisdiction,
                    department=who.department,
                    language="en",
                    active=who.active,
                    created_at=BASE - timedelta(days=3),
                )
            )


def test_the_engine_agrees_with_a_model_of_it(
    sessions: sessionmaker[Session], catalogue: Catalogue
) -> None:
    """EXAMPLES random runs of up to STEPS steps; every step checked against the model."""
    world = World(sessions=sessions, catalogue=catalogue)
    _add_people(sessions)

    run_state_machine_as_test(machine_on(world), settings=SETTINGS)

    print("model-based run:", dict(world.tally))
    # Not a vacuous run (the scripted test below meets every kind of outcome for sure).
    for outcome in ("advances accepted", "advance refused", "escalations", "parents completed"):
        assert world.tally[outcome] > 0, f"no {outcome} in {dict(world.tally)}"


def test_a_scripted_run_meets_every_outcome_the_model_knows(
    sessions: sessionmaker[Session], catalogue: Catalogue
) -> None:
    """The same machine and checks, driven through each kind of acceptance and refusal.

    Hypothesis chooses its steps at random; this run makes sure every prediction the
    model makes (each refusal, a roll-up, a climb up the ladder, a snooze and an
    exemption holding escalations, a rerun of the sweep) is met on every run.
    """
    world = World(sessions=sessions, catalogue=catalogue)
    _add_people(sessions)
    machine = machine_on(world)()
    lahore, sindh, bill, national = (machine.items[s] for s in ("LHR", "SND", "BILL", "NAT"))
    steps: list[Callable[[], None]] = [
        lambda: machine.take(lahore, "take_up", "officer.lahore@example.org"),
        lambda: machine.take(lahore, "take_up", "officer.lahore@example.org"),
        lambda: machine.take(sindh, "take_up", "officer.lahore@example.org"),
        lambda: machine.take(sindh, "take_up", "officer.sindh@example.org", expected_version=2),
        lambda: machine.take(sindh, "take_up", STRANGER),
        lambda: machine.take(sindh, "take_up", "retired.secretary@example.org"),
        lambda: machine.take(lahore, "report_completion", "officer.lahore@example.org"),
        lambda: machine.take(
            lahore, "report_completion", "officer.lahore@example.org", {"evidence": "DOC/1"}
        ),
        lambda: machine.take(lahore, "reopen", "secretary.punjab@example.org"),
        lambda: machine.take(lahore, "verify", "secretary.punjab@example.org", expected_version=3),
        lambda: machine.take(lahore, "take_up", "officer.lahore@example.org"),
        lambda: machine.take(national, "complete", "chair@example.org"),
        lambda: machine.take(bill, "send_for_vetting", "officer.sindh@example.org", {"x": "1"}),
        lambda: machine.take(
            bill, "send_for_vetting", "officer.sindh@example.org", {"passed_on": "1 July"}
        ),
        # Three weeks with a sweep each day: the Sindh task and the bill climb their ladders.
        lambda: machine.days_pass_with_a_daily_sweep(21),
        lambda: machine.sweep(0),
        lambda: machine.acknowledge_as(sindh, "officer.sindh@example.org", "on it"),
        lambda: machine.acknowledge_as(sindh, "secretary.sindh@example.org", "  "),
        lambda: machine.acknowledge_as(sindh, "secretary.punjab@example.org", "on it"),
        lambda: machine.acknowledge_as(sindh, "secretary.sindh@example.org", "on it"),
        lambda: machine.acknowledge_as(sindh, "chair@example.org", "on it"),
        lambda: machine.acknowledge_as(lahore, "chair@example.org", "on it"),
        lambda: machine.snooze_as(bill, "chair@example.org", "the assembly is away", 30),
        lambda: machine.snooze_as(bill, "chair@example.org", "the assembly is away", 3),
        lambda: machine.snooze_as(bill, "chair@example.org", "the assembly is away", 3),
        lambda: machine.days_pass_with_a_daily_sweep(7),
        lambda: machine.exempt_as(bill, "secretary.sindh@example.org", "handled elsewhere"),
        lambda: machine.exempt_as(bill, "chair@example.org", "handled elsewhere"),
        lambda: machine.exempt_as(bill, "chair@example.org", "handled elsewhere"),
        lambda: machine.time_passes(24 * 20),
        lambda: machine.sweep(1),
        lambda: machine.take(sindh, "drop", "federal.secretary@example.org", comment="moot"),
        lambda: machine.take(national, "withdraw", "chair@example.org", comment="done"),
        lambda: machine.exempt_as(sindh, "chair@example.org", "closed"),
    ]
    machine.the_database_agrees_with_the_model()
    for step in steps:
        step()
        machine.the_database_agrees_with_the_model()

    assert (national.status, lahore.status, sindh.status) == ("completed", "completed", "withdrawn")
    assert {level for (_, level) in sindh.rungs} == {0, 1, 2, 3, 4}
    assert world.tally["parents completed"] == 1
    for refusal in (
        "advance refused: IllegalTransitionError",
        "advance refused: RoleNotAllowedError",
        "advance refused: ConflictError",
        "advance refused: NotFoundError",
        "advance refused: FieldError",
        "advance refused: CommentRequiredError",
        "advance refused: CommitmentClosedError",
        "acknowledge refused: RoleNotAllowedError",
        "acknowledge refused: CommentRequiredError",
        "acknowledge refused: NotFoundError",
        "snooze refused: TransitionError",
        "exempt refused: RoleNotAllowedError",
        "exempt refused: TransitionError",
    ):
        assert world.tally[refusal] > 0, f"no {refusal}: {dict(world.tally)}"
    assert (world.tally["acknowledgements"], world.tally["snoozes"]) == (1, 2)
    assert world.tally["exemptions"] == 2


def test_a_blank_field_does_not_stand_in_for_one_a_later_stage_requires(
    make_person: Callable[..., Person],
    make_commitment: Callable[..., Commitment],
    advance: Callable[..., workflow.Advanced],
    stored: Callable[..., dict[str, object]],
) -> None:
    officer, secretary = "officer.sindh@example.org", "secretary.sindh@example.org"
    make_person(officer, role="officer", jurisdiction="sindh")
    make_person(secretary, role="secretary", jurisdiction="sindh")
    make_commitment("BILL-BLANK", "provincial_bill", "sindh", department="law")
    # A form sends every field it shows; the bill number is left empty for now.
    try:
        advance("BILL-BLANK", "send_for_vetting", officer, fields={"bill_number": "  "})
    except FieldError:  # refusing the blank value is as good
        advance("BILL-BLANK", "send_for_vetting", officer)
    advance("BILL-BLANK", "vet", officer)
    advance("BILL-BLANK", "approve_in_cabinet", secretary, fields={"cabinet_decision": "CAB/1"})

    # Introduced in the assembly needs a bill number, and nobody has given one.
    with pytest.raises(FieldError, match="bill_number"):
        advance("BILL-BLANK", "introduce", secretary, fields={"introduced_on": "2026-06-01"})
    assert stored("BILL-BLANK")["stage"] == "cabinet_approved"
