"""The transition rule: the one place that decides whether and how a commitment moves.

`apply` is pure. It returns the commitment's next state and the event to record;
the caller persists both, together, or neither.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlparse

from states.actors import SYSTEM_ACTOR, Actor, Role, covers, jurisdiction_problem
from states.calendar import local_day
from states.definition import Ending, FieldKind, FieldSpec, Pipeline, Stage, Transition
from states.departments import reaches, refusal
from states.effective import DatingLimits, dating_problem
from states.errors import (
    CommentRequiredError,
    CommitmentClosedError,
    FieldError,
    IllegalTransitionError,
    OpenChildrenError,
    RoleNotAllowedError,
    TaskforceError,
)
from states.message import Listing, Message, Term, place
from states.text import COMMENT, FIELD_VALUE


class Status(StrEnum):
    """Whether a commitment is still moving, and if not, how it ended."""

    OPEN = "open"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"

    @classmethod
    def for_stage(cls, stage: Stage) -> Status:
        if not stage.terminal:
            return cls.OPEN
        assert stage.outcome is not None
        return {
            Ending.COMPLETED: cls.COMPLETED,
            Ending.WITHDRAWN: cls.WITHDRAWN,
            Ending.LAPSED: cls.LAPSED,
        }[stage.outcome]


class EventKind(StrEnum):
    """What an event in a commitment's log records."""

    CREATED = "created"
    TRANSITION = "transition"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    EXEMPTED = "exempted"
    NOTE = "note"
    """A remark: it records progress and moves nothing."""
    REASSIGNED = "reassigned"
    LOADED = "loaded"
    """A decision already under way, loaded from a meeting file at the stage it had reached."""
    REITERATED = "reiterated"
    """A later meeting restated the decision."""
    AMENDED = "amended"
    """A later meeting changed the decision's deadline or officer."""
    SUPERSEDED = "superseded"
    """A later meeting replaced the decision with another: it ends, withdrawn."""
    NUDGED = "nudged"
    """Someone above the item reminded whoever must take its next step; it moves nothing."""
    MIGRATED = "migrated"
    """Moved to another version of its pipeline (or back), at the stage that version maps to."""
    PAUSED = "paused"
    """Its clocks stopped (a court's stay, a prorogued assembly): it is not escalated."""
    RESUMED = "resumed"
    """Its clocks run again; the time they stood still moved its due time on."""
    RESCHEDULED = "rescheduled"
    """The working calendar changed (a day closed or reopened): its due time moved."""


@dataclass(frozen=True)
class CommitmentState:
    """What the rule needs to know about a commitment."""

    key: str
    pipeline: str
    pipeline_version: int
    jurisdiction: str
    stage: str
    status: Status
    stage_entered_at: datetime
    fields: Mapping[str, str] = field(default_factory=dict)
    department: str = ""
    paused_at: datetime | None = None
    """When its clocks stopped; None while they run."""
    stage_paused: timedelta = timedelta(0)
    """Time its clocks stood still since it entered its stage: the stage's due time moves by it."""
    deadline_paused: timedelta = timedelta(0)
    """Time its clocks stood still since it started: the deadline's due time moves by it."""


@dataclass(frozen=True)
class TransitionRequest:
    """Someone asks to take `action` on a commitment."""

    action: str
    actor: Actor
    fields: Mapping[str, str] = field(default_factory=dict)
    comment: str | None = None
    # When the move really happened, if earlier than now (checked by states.effective).
    effective_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    """One entry of a commitment's append-only log."""

    kind: EventKind
    at: datetime
    actor_email: str
    actor_role: Role
    action: str | None
    from_stage: str | None
    to_stage: str
    fields: Mapping[str, str]
    comment: str | None
    # When it happened, if not when it was recorded (`at`).
    effective_at: datetime | None = None

    @property
    def happened_at(self) -> datetime:
        """The moment the event took effect: its effective date, else when it was recorded."""
        return self.effective_at or self.at


@dataclass(frozen=True)
class Outcome:
    """The result of a legal transition: the state to store and the event to append."""

    state: CommitmentState
    event: Event
    closed: bool


@dataclass(frozen=True)
class ActionOption:
    """An action open from the current stage, with what it will ask for."""

    transition: Transition
    needs: tuple[str, ...]
    comment_required: bool


def start(
    pipeline: Pipeline,
    *,
    key: str,
    jurisdiction: str,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> Outcome:
    """A new commitment in the pipeline's initial stage, with its `created` event (saying
    `reason`, when something else started it: an enacted bill its follow-up)."""
    problem = jurisdiction_problem(jurisdiction)
    if problem:
        raise TaskforceError(f"Can't start {key}: {problem}")
    stage = pipeline.stage(pipeline.initial)
    given: dict[str, str] = {}
    state = CommitmentState(
        key=key,
        pipeline=pipeline.key,
        pipeline_version=pipeline.version,
        jurisdiction=jurisdiction,
        stage=stage.key,
        status=Status.OPEN,
        stage_entered_at=now,
        fields=given,
    )
    event = Event(
        kind=EventKind.CREATED,
        at=now,
        actor_email=actor.email,
        actor_role=actor.role,
        action=None,
        from_stage=None,
        to_stage=stage.key,
        fields=given,
        comment=reason,
    )
    return Outcome(state=state, event=event, closed=False)


def apply(
    pipeline: Pipeline,
    state: CommitmentState,
    request: TransitionRequest,
    *,
    now: datetime,
    dating: DatingLimits | None = None,
    open_children: Sequence[str] = (),
) -> Outcome:
    """Apply `request` to `state`, or raise the TransitionError that says why not.

    A request with an `effective_at` is checked against `dating` (by default, the
    moment the current stage was entered); the new stage's clock starts then, while
    the event is recorded at `now`. `open_children` are the keys of the commitment's
    children still open: it does not complete before them unless its pipeline says so.
    """
    action = request.action
    where = {"key": state.key, "stage": state.stage, "action": action}
    if (state.pipeline, state.pipeline_version) != (pipeline.key, pipeline.version):
        raise TaskforceError(
            f"{state.key} follows {state.pipeline} version {state.pipeline_version},"
            f" not {pipeline.key} version {pipeline.version}"
        )
    if state.status is not Status.OPEN:
        raise CommitmentClosedError(
            Message(
                "Can't {action} {key}: it is closed ({status}) in stage {stage};"
                " a closed commitment does not move",
                action=action_term(pipeline, action),
                key=state.key,
                status=state.status,
                stage=stage_term(pipeline, state.stage),
            ),
            **where,
        )
    transition = _find(pipeline, state, action)
    _authorize(pipeline, transition, state, request.actor)
    _children_first(pipeline, transition, state, open_children)
    supplied = _check_fields(pipeline, state, transition, request.fields, today=local_day(now))
    comment = (request.comment or "").strip() or None
    problem = COMMENT.problem(comment or "")
    if problem:
        said = Message("the comment {problem}", problem=problem)
        raise FieldError(
            Message(
                "Can't {action} {key}: {problem}",
                action=action_term(pipeline, action),
                key=state.key,
                problem=said,
            ),
            fields=["comment"],
            problems={"comment": said},
            **where,
        )
    if transition.comment == "required" and comment is None:
        raise CommentRequiredError(
            Message(
                "Can't {action} {key}: this action needs a comment saying why",
                action=action_term(pipeline, action),
                key=state.key,
            ),
            **where,
        )
    effective = _effective(pipeline, state, request, now=now, dating=dating)
    target = pipeline.stage(transition.to)
    new_state = replace(
        state,
        stage=target.key,
        status=Status.for_stage(target),
        stage_entered_at=effective or now,
        fields={**state.fields, **supplied},
        stage_paused=timedelta(0),  # a new stage, a new clock
    )
    event = Event(
        kind=EventKind.TRANSITION,
        at=now,
        actor_email=request.actor.email,
        actor_role=request.actor.role,
        action=action,
        from_stage=state.stage,
        to_stage=target.key,
        fields=supplied,
        comment=comment,
        effective_at=effective,
    )
    return Outcome(state=new_state, event=event, closed=target.terminal)


def _effective(
    pipeline: Pipeline,
    state: CommitmentState,
    request: TransitionRequest,
    *,
    now: datetime,
    dating: DatingLimits | None,
) -> datetime | None:
    moment = request.effective_at
    if moment is None:
        return None
    limits = dating or DatingLimits(previous=state.stage_entered_at)
    problem = dating_problem(moment, role=request.actor.role, now=now, limits=limits)
    if problem:
        raise FieldError(
            Message(
                "Can't {action} {key}: {problem}",
                action=action_term(pipeline, request.action),
                key=state.key,
                problem=problem,
            ),
            key=state.key,
            stage=state.stage,
            action=request.action,
            fields=["effective_at"],
            problems={"effective_at": problem},
        )
    return moment.astimezone(UTC) if moment < now else None


def resume(
    pipeline: Pipeline,
    state: CommitmentState,
    *,
    stage: str,
    fields: Mapping[str, str],
    entered_at: datetime,
    now: datetime,
    source: str,
) -> Outcome:
    """A commitment just started, put at `stage` as a meeting file says it stood on `entered_at`.

    The stage is an open one of the pipeline; the values its arrival needs are given
    (the file's `fields:`). The `loaded` event is recorded by the system at `now`,
    effective `entered_at`, and the stage clock runs from then.
    """
    problem = resume_problem(pipeline, state, stage=stage, fields=fields, entered_at=entered_at)
    if problem:
        raise TaskforceError(f"{state.key}: {problem}")
    cleaned = {
        name: normalize_field(pipeline.fields[name], value)[1] for name, value in fields.items()
    }
    target = pipeline.stage(stage)
    new_state = replace(
        state,
        stage=target.key,
        stage_entered_at=entered_at,
        fields={**state.fields, **cleaned},
        stage_paused=timedelta(0),
    )
    event = Event(
        kind=EventKind.LOADED,
        at=now,
        actor_email=SYSTEM_ACTOR.email,
        actor_role=Role.SYSTEM,
        action=None,
        from_stage=state.stage,
        to_stage=target.key,
        fields=cleaned,
        comment=f"already at this stage when loaded from {source}",
        effective_at=entered_at,
    )
    return Outcome(state=new_state, event=event, closed=False)


def supersede(
    pipeline: Pipeline,
    state: CommitmentState,
    *,
    by: str,
    meeting: str,
    title: str,
    now: datetime,
) -> Outcome:
    """End `state` in its pipeline's withdrawn stage: meeting `title` replaced it with `by`."""
    where = {"key": state.key, "stage": state.stage, "action": "supersede"}
    if state.status is not Status.OPEN:
        raise CommitmentClosedError(
            f"Can't supersede {state.key}: it is closed ({state.status}) in stage {state.stage}",
            **where,
        )
    if by == state.key:
        raise TaskforceError(f"{state.key}: a commitment can't supersede itself")
    target = next(
        (s for s in pipeline.stages if s.terminal and s.outcome is Ending.WITHDRAWN), None
    )
    if target is None:
        raise TaskforceError(
            f"{state.key}: {pipeline.key} has no withdrawn stage, so it can't be superseded"
        )
    new_state = replace(
        state, stage=target.key, status=Status.for_stage(target), stage_entered_at=now
    )
    event = Event(
        kind=EventKind.SUPERSEDED,
        at=now,
        actor_email=SYSTEM_ACTOR.email,
        actor_role=Role.SYSTEM,
        action=None,
        from_stage=state.stage,
        to_stage=target.key,
        fields={"meeting": meeting, "superseded_by": by},
        comment=f"superseded by {by} at {title}",
    )
    return Outcome(state=new_state, event=event, closed=True)


def resume_problem(
    pipeline: Pipeline,
    state: CommitmentState,
    *,
    stage: str,
    fields: Mapping[str, str],
    entered_at: datetime,
) -> str | None:
    """Why a commitment can't be loaded at `stage` with `fields` since `entered_at`, or None."""
    stages = [s.key for s in pipeline.stages]
    if stage not in stages:
        listed = ", ".join(stages)
        return f"stage {stage!r} is not a stage of {pipeline.key}; its stages are {listed}"
    target = pipeline.stage(stage)
    if target.terminal:
        return f"stage {stage!r} ends the commitment; a file loads only decisions still open"
    unknown = sorted(name for name in fields if name not in pipeline.fields)
    if unknown:
        declared = ", ".join(pipeline.fields) or "none"
        return f"unknown field {', '.join(unknown)}; {pipeline.key}'s fields are {declared}"
    missing = [name for name in target.requires if not str(fields.get(name, "")).strip()]
    if missing:
        return f"stage {stage!r} needs the field {', '.join(missing)}; give it under fields:"
    for name, value in fields.items():
        problem, _ = normalize_field(pipeline.fields[name], value)
        if problem:
            return f"field {name} {problem}"
    if entered_at < state.stage_entered_at:
        return (
            f"stage_entered {local_day(entered_at)} is before the commitment starts"
            f" ({local_day(state.stage_entered_at)})"
        )
    return None


def options(
    pipeline: Pipeline,
    state: CommitmentState,
    actor: Actor | None = None,
    *,
    open_children: Sequence[str] = (),
) -> list[ActionOption]:
    """The actions open from the current stage (to `actor`, when given).

    With the keys of the commitment's `open_children`, a completion they hold back is left out.
    """
    if state.status is not Status.OPEN:
        return []
    result = []
    for transition in pipeline.transitions_from(state.stage):
        if Role.SYSTEM in transition.roles:
            continue
        if actor is not None and not may(pipeline, transition, state, actor):
            continue
        if _held_back(pipeline, transition, open_children):
            continue
        result.append(
            ActionOption(
                transition=transition,
                needs=_needed(pipeline, state, transition),
                comment_required=transition.comment == "required",
            )
        )
    return result


def _find(pipeline: Pipeline, state: CommitmentState, action: str) -> Transition:
    for transition in pipeline.transitions_from(state.stage):
        if transition.action == action:
            return transition
    allowed = [
        t.action for t in pipeline.transitions_from(state.stage) if Role.SYSTEM not in t.roles
    ]
    values = {
        "action": action_term(pipeline, action),
        "key": state.key,
        "stage": stage_term(pipeline, state.stage),
    }
    message = (
        Message(
            "Can't {action} {key}: it is in {stage}; allowed here: {allowed}",
            allowed=Listing(action_term(pipeline, a) for a in allowed),
            **values,
        )
        if allowed
        else Message("Can't {action} {key}: it is in {stage}; no action is open here", **values)
    )
    raise IllegalTransitionError(
        message,
        key=state.key,
        stage=state.stage,
        action=action,
    )


def may(pipeline: Pipeline, transition: Transition, state: CommitmentState, actor: Actor) -> bool:
    """Whether `actor` may take `transition` on `state`: role, jurisdiction and department."""
    return (
        actor.role in transition.roles
        and covers(actor.jurisdiction, state.jurisdiction)
        and reaches(actor, state.department, pipeline.taking_part(state.stage, transition))
    )


def _authorize(
    pipeline: Pipeline, transition: Transition, state: CommitmentState, actor: Actor
) -> None:
    where = {"key": state.key, "stage": state.stage, "action": transition.action}
    said = {"action": Term(transition.action, transition.title), "key": state.key}
    if actor.role not in transition.roles:
        raise RoleNotAllowedError(
            Message(
                "Can't {action} {key}: {email} is {role}; this action is for {roles}",
                email=actor.email,
                role=actor.role,
                roles=Listing(transition.roles),
                **said,
            ),
            **where,
        )
    if not covers(actor.jurisdiction, state.jurisdiction):
        raise RoleNotAllowedError(
            Message(
                "Can't {action} {key}: it belongs to {jurisdiction}, and {email} acts for {own}",
                jurisdiction=place(state.jurisdiction),
                email=actor.email,
                own=place(actor.jurisdiction),
                **said,
            ),
            **where,
        )
    if not reaches(actor, state.department, pipeline.taking_part(state.stage, transition)):
        raise RoleNotAllowedError(
            Message(
                "Can't {action} {key}: {problem}",
                problem=refusal(actor, state.department),
                **said,
            ),
            **where,
        )


def _held_back(pipeline: Pipeline, transition: Transition, open_children: Sequence[str]) -> bool:
    return (
        bool(open_children)
        and not pipeline.completes_with_open_children
        and pipeline.stage(transition.to).outcome is Ending.COMPLETED
    )


def _children_first(
    pipeline: Pipeline, transition: Transition, state: CommitmentState, open_children: Sequence[str]
) -> None:
    """A commitment completes after its children, unless its pipeline says otherwise."""
    if not _held_back(pipeline, transition, open_children):
        return
    keys = sorted(open_children)
    listed: str = Listing(keys[:10])
    if len(keys) > 10:
        listed = Message("{listed} and {count} more", listed=listed, count=len(keys) - 10)
    values = {
        "action": Term(transition.action, transition.title),
        "key": state.key,
        "count": len(keys),
        "listed": listed,
    }
    raise OpenChildrenError(
        Message(
            "Can't {action} {key}: {count} of its children is still open ({listed});"
            " it completes once they end",
            **values,
        )
        if len(keys) == 1
        else Message(
            "Can't {action} {key}: {count} of its children are still open ({listed});"
            " it completes once they end",
            **values,
        ),
        key=state.key,
        stage=state.stage,
        action=transition.action,
        open_children=keys,
    )


def _needed(pipeline: Pipeline, state: CommitmentState, transition: Transition) -> tuple[str, ...]:
    target = pipeline.stage(transition.to)
    names = list(transition.requires)
    # A value stored blank (by an older release) is not known: it cannot satisfy a stage.
    names += [n for n in target.requires if not state.fields.get(n, "").strip() and n not in names]
    return tuple(names)


def _check_fields(
    pipeline: Pipeline,
    state: CommitmentState,
    transition: Transition,
    given: Mapping[str, str],
    *,
    today: date,
) -> dict[str, str]:
    where = {"key": state.key, "stage": state.stage, "action": transition.action}
    said = {"action": Term(transition.action, transition.title), "key": state.key}
    unknown = sorted(name for name in given if name not in pipeline.fields)
    if unknown:
        declared = Listing(pipeline.fields) if pipeline.fields else Message("none")
        raise FieldError(
            Message(
                "Can't {action} {key}: unknown field {unknown}; this pipeline's fields are"
                " {declared}",
                unknown=Listing(unknown),
                declared=declared,
                **said,
            ),
            fields=unknown,
            problems={
                name: Message("is not a field of {pipeline}", pipeline=pipeline.key)
                for name in unknown
            },
            **where,
        )
    missing = [
        name
        for name in _needed(pipeline, state, transition)
        if not str(given.get(name, "")).strip()
    ]
    if missing:
        needed = Listing(
            Message("{name} ({title})", name=n, title=pipeline.fields[n].title) for n in missing
        )
        raise FieldError(
            Message("Can't {action} {key}: missing {described}", described=needed, **said),
            fields=missing,
            problems={
                n: Message("{title} is needed for this action", title=pipeline.fields[n].title)
                for n in missing
            },
            **where,
        )
    cleaned: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name, raw in given.items():
        if not str(raw).strip():
            # A form sends every field it shows; a blank one the action does not need was not
            # given, and storing it would let it pass for a value a later stage requires.
            continue
        problem, value = normalize_field(pipeline.fields[name], str(raw), today=today)
        if problem:
            problems[name] = problem
        cleaned[name] = value
    if problems:
        raise FieldError(
            Message("Can't {action} {key}: {problem}", problem=described(problems), **said),
            fields=list(problems),
            problems=problems,
            **where,
        )
    return cleaned


def described(problems: Mapping[str, str]) -> str:
    """Each field's problem, one after another: 'field x is ...; field y must be ...'."""
    return Listing(
        (
            Message("field {name} {problem}", name=name, problem=problem)
            for name, problem in problems.items()
        ),
        separator="; ",
    )


def action_term(pipeline: Pipeline, action: str) -> str:
    """An action's key, said by its title where a page translates the message."""
    title = next((t.title for t in pipeline.transitions if t.action == action), None)
    return Term(action, title) if title is not None else action


def stage_term(pipeline: Pipeline, stage: str) -> str:
    """A stage's key, said by its title where a page translates the message."""
    return Term(stage, pipeline.stage(stage).title) if pipeline.has_stage(stage) else stage


def normalize_field(
    spec: FieldSpec, raw: str, *, today: date | None = None
) -> tuple[str | None, str]:
    """Check one field value; returns (problem or None, the value to store).

    With `today`, a date the pipeline marks `past` (something already done) may not be
    later than today.
    """
    value = raw.strip()
    text_problem = FIELD_VALUE.problem(value)
    if text_problem:
        return text_problem, value
    if spec.kind is FieldKind.DATE:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return Message("must be a date written YYYY-MM-DD, not {raw!r}", raw=raw), value
        value = day.isoformat()
        if spec.past and today is not None and day > today:
            return (
                Message(
                    "can't be in the future: {day:%-d %B %Y} is after today ({today:%-d %B %Y});"
                    " it records something already done",
                    day=day,
                    today=today,
                ),
                value,
            )
    elif spec.kind is FieldKind.NUMBER:
        if not re.fullmatch(r"[0-9]+", value):
            return Message(
                "must be a whole number written with digits 0-9, not {raw!r}", raw=raw
            ), value
        value = str(int(value))
    elif spec.kind is FieldKind.FILE:
        if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
            return Message("must be a file attached with this action"), value
        value = value.lower()
    elif spec.kind is FieldKind.URL:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            return (
                Message("must be a web address starting http:// or https://, not {raw!r}", raw=raw),
                value,
            )
    if spec.pattern and not re.fullmatch(spec.pattern, value):
        values = {"value": value, "pattern": spec.pattern}
        if spec.help:
            return (
                Message(
                    "{value!r} does not match the expected form {pattern} ({help})",
                    help=spec.help,
                    **values,
                ),
                value,
            )
        return Message("{value!r} does not match the expected form {pattern}", **values), value
    return None, value
