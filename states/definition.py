"""The pipeline definition: what a pipeline file may say, as pydantic models.

These models check each value on its own; `states.validation` checks how the
parts fit together (reachability, ladders, field references).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any

import isodate
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from states.actors import Role
from states.localtext import WITHOUT_TRANSLATIONS, HelpText, PipelineTitle
from states.text import Department

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
ANY_STAGE = "*"


def _check_duration(value: str) -> str:
    try:
        parsed = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError) as error:
        raise ValueError(
            f"{value!r} is not an ISO 8601 duration; write e.g. P1M (one month),"
            " P6W (six weeks) or P90D (ninety days)"
        ) from error
    if isinstance(parsed, timedelta) and parsed <= timedelta(0):
        raise ValueError(f"duration {value!r} must be longer than zero")
    days = parsed.tdelta if isinstance(parsed, isodate.Duration) else parsed
    if days % timedelta(days=1):
        raise ValueError(f"duration {value!r} must be whole days, weeks, months or years")
    if isinstance(parsed, isodate.Duration) and (
        parsed.years < 0 or parsed.months < 0 or parsed.tdelta < timedelta(0)
    ):
        raise ValueError(f"duration {value!r} must not be negative")
    return value


IsoDuration = Annotated[str, AfterValidator(_check_duration)]


def _parse_deadline(value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return _check_duration(value)
    raise ValueError("deadline must be a date (2026-12-31) or a duration from the start (P1M)")


Deadline = Annotated[date | str | None, BeforeValidator(_parse_deadline)]


def add_duration(start: date, duration: str) -> date:
    """The date `duration` (ISO 8601, e.g. P1M) after `start`, month ends respected."""
    result = start + isodate.parse_duration(duration)
    assert isinstance(result, date)
    return result


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldKind(StrEnum):
    """How a field's value is checked and stored."""

    TEXT = "text"
    DATE = "date"
    NUMBER = "number"
    URL = "url"
    FILE = "file"
    """A file kept as evidence, e.g. the notification of a commission: the value is its SHA-256."""


class FieldSpec(_Strict):
    """A piece of information an action or stage asks for, e.g. a bill number."""

    title: PipelineTitle
    kind: FieldKind = FieldKind.TEXT
    pattern: str | None = None
    past: bool = Field(
        default=False, description="a date that records something done: never in the future"
    )
    help: HelpText | None = None

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        import re

        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(
                    f"pattern {value!r} is not a regular expression: {error}"
                ) from error
        return value

    @field_validator("past")
    @classmethod
    def _past_only_for_dates(cls, value: bool, info: ValidationInfo) -> bool:
        kind = info.data.get("kind")
        if value and kind is not FieldKind.DATE:
            raise ValueError(f"past: true applies to a date field, and this one is {kind}")
        return value


class Ending(StrEnum):
    """How a commitment ended, given by the terminal stage it reached."""

    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"


class Clock(StrEnum):
    """How a stage's time limit counts.

    Most limits in the task force's decisions are working days of the item's
    jurisdiction; a law's own limits often are not: a governor has ten days to
    assent (Article 116), a commission is appointed "within one month".
    """

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    MONTHS = "months"


class Stage(_Strict):
    """A place a commitment can be in, owned by one role."""

    key: Key
    title: PipelineTitle
    owner: Role
    time_limit: PositiveInt | None = Field(
        default=None, description="how long a commitment may stay here, counted by `clock`"
    )
    clock: Clock = Field(
        default=Clock.WORKING_DAYS,
        description="how the time limit counts: working days, calendar days or calendar months",
    )
    requires: tuple[Key, ...] = ()
    terminal: bool = False
    outcome: Ending | None = None
    departments: tuple[Department, ...] = Field(
        default=(),
        description="other departments whose officers and secretaries act in this stage",
    )
    assembly: bool = Field(
        default=False,
        description="pending in the provincial assembly: lapses when the assembly is dissolved"
        " (Article 117), its clocks stop while the assembly is prorogued",
    )
    on_time_limit: Key | None = Field(
        default=None,
        description="an action the system takes once the stage's time limit has passed,"
        " e.g. assent deemed given (Article 116)",
    )
    follow_up: Key | None = Field(
        default=None,
        description="the pipeline of the commitment the engine starts, as a child, when a"
        " commitment completes here: e.g. an enacted bill's rules and bodies (post_enactment)",
    )


class CommentRule(StrEnum):
    """Whether an action must be explained."""

    OPTIONAL = "optional"
    REQUIRED = "required"


class Transition(_Strict):
    """A named action that moves a commitment from some stages to another."""

    action: Key
    title: PipelineTitle
    from_: tuple[str, ...] = Field(alias="from", min_length=1)
    to: Key
    roles: tuple[Role, ...] = Field(min_length=1)
    requires: tuple[Key, ...] = ()
    comment: CommentRule = CommentRule.OPTIONAL
    departments: tuple[Department, ...] = Field(
        default=(),
        description="other departments whose officers and secretaries may take this action",
    )
    confirm: bool = Field(
        default=False,
        description="a consequential move: the person checks what they typed before it is taken",
    )

    @field_validator("from_", mode="before")
    @classmethod
    def _single_stage_as_list(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class LadderLevel(_Strict):
    """One rung of the escalation ladder: who hears of a stall, and when."""

    level: PositiveInt
    after: int = Field(ge=0, description="working days past due")
    notify: Role


class StageMapping(_Strict):
    """How commitments running on an earlier version of a pipeline move to this one."""

    version: PositiveInt = Field(description="the earlier version its commitments come from")
    stages: dict[Key, Key] = Field(
        default_factory=dict,
        description="a stage of the earlier version, and the stage of this one it becomes;"
        " a stage not listed becomes the stage of the same key",
    )


class Pipeline(_Strict):
    """A versioned process a commitment follows, from its initial stage to a terminal one."""

    key: Key
    version: PositiveInt
    title: PipelineTitle
    description: HelpText | None = None
    initial: Key
    deadline: Deadline = Field(
        default=None, description="a date, or an ISO 8601 duration from the start date"
    )
    on_deadline: Key | None = Field(
        default=None, description="an action the system takes once the deadline has passed"
    )
    on_children_done: Key | None = Field(
        default=None, description="an action the system takes once every child has ended"
    )
    on_dissolution: Key | None = Field(
        default=None,
        description="the action the system takes on each commitment standing in an assembly"
        " stage when its assembly is dissolved (Article 117)",
    )
    completes_with_open_children: bool = Field(
        default=False,
        description="whether a person may complete a commitment while children are open",
    )
    snooze_max_days: PositiveInt = 10
    reminder_days_before: int = Field(default=2, ge=0)
    fields: dict[Key, FieldSpec] = Field(default_factory=dict)
    stages: tuple[Stage, ...] = Field(min_length=1)
    transitions: tuple[Transition, ...] = ()
    ladder: tuple[LadderLevel, ...] = ()
    migrates_from: StageMapping | None = Field(
        default=None,
        description="the earlier version whose running commitments may move to this one",
    )
    cites: tuple[str, ...] = Field(
        default=(),
        description="what the procedure follows: an Article, an Act, rules of procedure, the"
        " meeting's decision; a citation changes no rule, so it needs no new version",
    )

    def stage(self, key: str) -> Stage:
        """The stage called `key` (which validation guarantees exists)."""
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    def has_stage(self, key: str) -> bool:
        return any(stage.key == key for stage in self.stages)

    def sources(self, transition: Transition) -> tuple[str, ...]:
        """The stages `transition` may start from, with `*` expanded."""
        if ANY_STAGE in transition.from_:
            return tuple(stage.key for stage in self.stages if not stage.terminal)
        return transition.from_

    def transitions_from(self, stage: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if stage in self.sources(t))

    def terminal_stages(self) -> tuple[Stage, ...]:
        return tuple(stage for stage in self.stages if stage.terminal)

    def assembly_stages(self) -> tuple[Stage, ...]:
        """The stages in which a commitment is pending in the provincial assembly."""
        return tuple(stage for stage in self.stages if stage.assembly)

    def follow_ups(self) -> tuple[Stage, ...]:
        """The stages that start a follow-up commitment when a commitment completes there."""
        return tuple(stage for stage in self.stages if stage.follow_up is not None)

    def deadline_for(self, start: date) -> date | None:
        """The overall deadline of a commitment started on `start`."""
        if self.deadline is None or isinstance(self.deadline, date):
            return self.deadline
        return add_duration(start, self.deadline)

    def needs_check(self, transition: Transition) -> bool:
        """Whether a person checks their answers before `transition` is taken: a move that
        ends the commitment, or one the pipeline marks `confirm`."""
        return transition.confirm or self.stage(transition.to).terminal

    def ends_otherwise(self, transition: Transition) -> bool:
        """Whether `transition` ends the commitment without completing it (withdraw, lapse):
        offered, but never as the suggested step."""
        return self.stage(transition.to).outcome in (Ending.WITHDRAWN, Ending.LAPSED)

    def taking_part(self, stage: str, transition: Transition) -> tuple[str, ...]:
        """The other departments that may take `transition` from `stage`."""
        return (*self.stage(stage).departments, *transition.departments)

    def canonical_json(self, *, translations: bool = True) -> str:
        """The definition as canonical JSON: equal for equal definitions."""
        data = self.model_dump(
            mode="json", by_alias=True, context={WITHOUT_TRANSLATIONS: not translations}
        )
        # Keys added to the format later are left out while they hold their default, so a
        # definition that does not use them keeps the checksum it was registered with.
        if not data["completes_with_open_children"]:
            del data["completes_with_open_children"]
        if data["on_dissolution"] is None:
            del data["on_dissolution"]
        for part in (*data["stages"], *data["transitions"]):
            if not part["departments"]:
                del part["departments"]
        for stage in data["stages"]:
            if stage["clock"] == Clock.WORKING_DAYS:
                del stage["clock"]
            if not stage["assembly"]:
                del stage["assembly"]
            if stage["on_time_limit"] is None:
                del stage["on_time_limit"]
            if stage["follow_up"] is None:
                del stage["follow_up"]
        for transition in data["transitions"]:
            if not transition["confirm"]:
                del transition["confirm"]
        for spec in data["fields"].values():
            if not spec["past"]:
                del spec["past"]
        if data["migrates_from"] is None:
            del data["migrates_from"]
        if not data["cites"] or not translations:
            del data["cites"]  # like a translation: stored in place, outside the checksum
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    def checksum(self) -> str:
        """A fingerprint that changes whenever the definition's meaning changes.

        Translations are left out: adding or mending an Urdu title changes no rule, so it
        needs no new version; registering refreshes the stored text in place instead.
        """
        return hashlib.sha256(self.canonical_json(translations=False).encode()).hexdigest()
