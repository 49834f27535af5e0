"""The JSON API's request and response shapes, apart from the database models."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from db.digest import DigestContent
from states.text import COMMENT_MAX, KEY_MAX, KEY_PATTERN, preview


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(_Out):
    code: str = Field(description="stable, for programs: e.g. forbidden, conflict, invalid_fields")
    message: str = Field(description="for people: what went wrong and what to do")
    fields: dict[str, str] | None = Field(
        default=None, description="each field's problem, when the request's fields were refused"
    )


class ErrorOut(_Out):
    error: ErrorDetail


class PersonOut(_Out):
    email: str
    name: str
    role: str
    jurisdiction: str
    department: str
    language: str


class HandledOut(_Out):
    kind: str = Field(description="acknowledged, snoozed or exempt")
    by: str | None = Field(description="acknowledged: the e-mail of whoever acknowledged")
    on: date | None = Field(description="acknowledged: the day (Pakistan time) it was")
    until: date | None = Field(description="snoozed: the last day escalation is held")


class TimingOut(_Out):
    due_at: datetime | None = Field(description="when it is (or was) due in its current stage")
    due_reason: str | None = Field(description="stage_limit or deadline")
    working_days_left: int | None = Field(description="before due; null once overdue")
    overdue_working_days: int | None = Field(description="past due; null while on time")
    ladder_level: int | None = Field(
        description="the highest rung actually escalated in the current stall (mail sent to"
        " the people above); null when nothing was escalated, however long overdue"
    )
    level_due: int | None = Field(
        description="the rung the working days overdue call for, which the next sweep escalates"
        " to unless the item is handled; null while on time"
    )
    handled: HandledOut | None = Field(
        description="how someone above answered the current stall; null while unanswered"
    )
    stalled: bool


class WaitingOut(_Out):
    name: str
    email: str
    role: str


class CommitmentOut(_Out):
    key: str
    title: str
    pipeline: str
    pipeline_version: int
    jurisdiction: str
    department: str
    officer: str | None
    stage: str
    stage_title: str
    stage_entered_at: datetime
    status: str = Field(description="open, completed, withdrawn or lapsed")
    start_date: date | None
    deadline: date | None = Field(description="the deadline as decided")
    effective_deadline: date | None = Field(
        description="the deadline moved on by the time its clocks stood paused (a part of a"
        " day counts as a day): the last day before it is overdue, and lapses where its"
        " pipeline says so"
    )
    meeting: str | None
    agenda_item: str | None
    fields: dict[str, Any]
    refs: list[str] = Field(
        default_factory=list,
        description="external references, normalized: upr:4/152.123,"
        " treaty:CEDAW/C/PAK/CO/5#24, sdg:5.3, nap:HR-12",
    )
    tags: list[str] = Field(default_factory=list, description="free lower-case tags")
    version: int = Field(description="send it back as expected_version when advancing")
    paused_at: datetime | None = Field(
        default=None,
        description="when its clocks stopped (a court's stay, a prorogued assembly);"
        " null while they run: a paused item is never due or escalated",
    )
    paused_until: date | None = Field(
        default=None, description="the last day of the pause, if one was given"
    )
    timing: TimingOut
    waiting_on: list[WaitingOut] = Field(
        description="who may take the next step now, most expected first (empty once closed)"
    )
    url: str = Field(description="the commitment's page")


class CommitmentPage(_Out):
    items: list[CommitmentOut]
    total: int = Field(description="how many match, across all pages")
    limit: int
    next: str | None = Field(
        description="pass as `after` to read the next page; null on the last page"
    )


class AttachmentOut(_Out):
    sha256: str = Field(description="the file's SHA-256; it is served at /evidence/SHA256")
    name: str
    size: int
    media_type: str


class EventOut(_Out):
    seq: int
    kind: str
    at: datetime = Field(description="when it was recorded")
    effective_at: datetime = Field(description="when it happened (at, unless dated earlier)")
    actor: str
    role: str
    action: str | None
    from_stage: str | None
    to_stage: str
    fields: dict[str, Any]
    comment: str | None
    attachments: list[AttachmentOut] = Field(default_factory=list, description="files kept with it")


class FieldOut(_Out):
    name: str
    title: str
    kind: str
    help: str | None


class ActionOut(_Out):
    action: str
    title: str
    to: str
    fields: list[FieldOut] = Field(description="what the action asks for")
    comment_required: bool


class EscalationOut(_Out):
    level: int
    role: str
    reason: str
    due_at: datetime
    overdue_days: int
    recipients: list[str]
    created_at: datetime


class CommitmentDetailOut(CommitmentOut):
    history: list[EventOut]
    actions: list[ActionOut] = Field(description="what the caller may do now")
    open_escalations: list[EscalationOut]
    children: list[CommitmentOut]
    parent: str | None


class AdvanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(
        max_length=KEY_MAX, pattern=KEY_PATTERN, description="one of the commitment's actions"
    )
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="values the action needs",
        json_schema_extra={"propertyNames": {"pattern": KEY_PATTERN, "maxLength": KEY_MAX}},
    )
    # Characters are the rule's to check (states/text.py), for every way in; the length is
    # also here so the document says it.
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)
    expected_version: int | None = Field(
        default=None,
        description="the version you read; if it moved since, 409 instead of acting blindly",
    )
    effective_at: datetime | None = Field(
        default=None,
        description="when it happened, if before now (ISO 8601; no zone means Pakistan time);"
        " the stage clock counts from then",
    )

    @field_validator("fields")
    @classmethod
    def _field_names(cls, fields: dict[str, str]) -> dict[str, str]:
        # Checked here, not by a key type, so that the refusal never repeats a hostile name.
        for name in fields:
            if len(name) > KEY_MAX or not re.fullmatch(KEY_PATTERN, name):
                raise ValueError(
                    "field names are lower-case words such as cabinet_decision,"
                    f" not {preview(name, 30)}"
                )
        return fields


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=COMMENT_MAX, description="what is being done")


class AcknowledgedOut(_Out):
    key: str
    escalations: int = Field(description="how many open rungs the acknowledgement covers")


class SnoozeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: date = Field(description="hold escalations until this day, inclusive")
    reason: str = Field(min_length=1, max_length=COMMENT_MAX)


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1,
        max_length=COMMENT_MAX,
        description="why its clocks stop, e.g. the court's stay order; kept in its history",
    )
    until: date | None = Field(
        default=None,
        description="the last day of the pause (today or later); its clocks run again after"
        " it. Null: until someone resumes it",
    )


class ResumeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DigestOut(_Out):
    id: int
    scope: str
    recipient: str
    created_at: datetime
    content: DigestContent
