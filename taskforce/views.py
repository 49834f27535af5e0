"""Turning commitments and events into records for JSON and rows for tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from db.evidence import Attachment
from db.models import Commitment, Event
from db.pausing import effective_deadline
from states.definition import Pipeline
from states.rules import ActionOption

LOCAL_ZONE = ZoneInfo("Asia/Karachi")


def local(moment: datetime | None) -> str:
    """A time as people in Pakistan read it: 12 June 2026 14:05."""
    if moment is None:
        return ""
    return moment.astimezone(LOCAL_ZONE).strftime("%-d %B %Y %H:%M")


def day_ending(moment: datetime) -> str:
    """The Pakistan day that ends at `moment` (a due time is the end of a day)."""
    return day((moment.astimezone(LOCAL_ZONE) - timedelta(microseconds=1)).date())


def happened(effective: datetime, recorded: datetime) -> str:
    """When an event happened, and when it was recorded if on another day:
    "7 July 2026 09:00 (recorded 9 July 2026 10:15)"."""
    if effective.astimezone(LOCAL_ZONE).date() == recorded.astimezone(LOCAL_ZONE).date():
        return local(recorded)
    return f"{local(effective)} (recorded {local(recorded)})"


def day(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def commitment_record(commitment: Commitment, pipeline: Pipeline) -> dict[str, Any]:
    """The stable JSON shape of a commitment, for scripts."""
    return {
        "key": commitment.key,
        "title": commitment.title,
        "pipeline": commitment.pipeline_key,
        "pipeline_version": commitment.pipeline_version,
        "jurisdiction": commitment.jurisdiction,
        "department": commitment.department,
        "officer": commitment.officer.email if commitment.officer else None,
        "stage": commitment.stage,
        "stage_title": pipeline.stage(commitment.stage).title.en,
        "stage_entered_at": iso(commitment.stage_entered_at),
        "status": commitment.status,
        "start_date": iso(commitment.start_date),
        "deadline": iso(commitment.deadline),
        "effective_deadline": iso(effective_deadline(commitment)),
        "meeting": commitment.meeting.key if commitment.meeting else None,
        "agenda_item": commitment.agenda_item,
        "fields": dict(commitment.fields),
        "refs": [ref.text for ref in commitment.refs],
        "tags": [tag.tag for tag in commitment.tags],
        "version": commitment.version,
        "paused_at": iso(commitment.paused_at),
        "paused_until": iso(commitment.paused_until),
    }


def event_record(
    event: Event, attachments: Mapping[int, Sequence[Attachment]] | None = None
) -> dict[str, Any]:
    """The stable JSON shape of an event; `attachments` maps event ids to their files."""
    files = (attachments or {}).get(event.id, ())
    return {
        "seq": event.seq,
        "kind": event.kind,
        "at": iso(event.at),
        "effective_at": iso(event.effective_at),
        "actor": event.actor_email,
        "role": event.actor_role,
        "action": event.action,
        "from": event.from_stage,
        "to": event.to_stage,
        "fields": dict(event.fields),
        "comment": event.comment,
        "attachments": [file.as_record() for file in files],
    }


def option_record(option: ActionOption, pipeline: Pipeline) -> dict[str, Any]:
    transition = option.transition
    return {
        "action": transition.action,
        "title": transition.title.en,
        "to": transition.to,
        "roles": [str(role) for role in transition.roles],
        "fields": [
            {
                "name": name,
                "title": pipeline.fields[name].title.en,
                "kind": str(pipeline.fields[name].kind),
            }
            for name in option.needs
        ],
        "comment_required": option.comment_required,
    }


def pipeline_record(pipeline: Pipeline) -> dict[str, Any]:
    record: dict[str, Any] = pipeline.model_dump(mode="json", by_alias=True)
    return record
