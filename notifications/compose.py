"""Composing mail: from a stored outbox row (or, for a preview, a commitment) to a rendered message.

An outbox row says little by itself: which escalation, whom to, in what
language. The letter is built when it is sent, from the row's payload, the
escalation's snapshot (the commitment as it stood when escalated), what has
happened in the same stall episode since it began (earlier rungs, acknowledgements,
snoozes), the pipeline (stage titles, the actions that would move the item) and
the recipient. Read-only: the caller owns the session and its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import queries, waiting, workflow
from db.models import Commitment, Escalation, Event, OutboxMessage, Person
from notifications.render import (
    ActionView,
    AnswerView,
    Contact,
    EscalationView,
    ItemView,
    Rendered,
    Renderer,
    Step,
)
from states import rules
from states import waiting as waiting_rule
from states.actors import Role
from states.calendar import WorkingCalendar, local_day
from states.catalogue import Catalogue
from states.definition import LadderLevel, Pipeline
from states.errors import NotFoundError, TaskforceError
from states.escalation import Candidate, Item, deliveries, recipients
from states.localtext import LocalText, local
from states.rules import EventKind
from states.stalls import StallReason, assess, due
from states.waiting import People

LADDER_KINDS = ("reminder", "escalation")
ANSWER_KINDS = ("acknowledged", "snoozed")
# A reminder from someone above the item to whoever must act: written like an answer.
NUDGE_KIND = "nudged"
KINDS = LADDER_KINDS + ANSWER_KINDS


class UnknownMessageKindError(TaskforceError):
    """There is no way to compose that kind of message here."""


class IncompleteMessageError(TaskforceError):
    """A stored message lacks what it takes to write it."""


def link(base_url: str, key: str) -> str:
    """Where the web UI shows commitment `key`."""
    return f"{base_url.rstrip('/')}/commitments/{quote(key, safe='')}"


def compose(
    session: Session,
    message: OutboxMessage,
    renderer: Renderer,
    catalogue: Catalogue,
    *,
    base_url: str,
) -> Rendered:
    """The subject, text and HTML of a stored outbox message, in its recipient's language."""
    recipient = Contact(name=message.recipient_name, email=message.recipient_email)
    context: dict[str, Any]
    if message.kind in LADDER_KINDS:
        context = _ladder_context(session, message, catalogue, base_url=base_url)
    elif message.kind in (*ANSWER_KINDS, NUDGE_KIND):
        context = _answer_context(session, message, catalogue, base_url=base_url)
    else:
        raise UnknownMessageKindError(
            f"can't compose outbox message {message.id}: its kind {message.kind!r} is not one"
            f" compose writes ({', '.join(KINDS)})"
        )
    return renderer.render(message.kind, message.language, {**context, "recipient": recipient})


def preview(
    session: Session,
    kind: str,
    key: str,
    language: str,
    renderer: Renderer,
    catalogue: Catalogue,
    *,
    base_url: str,
    now: datetime,
    calendar: WorkingCalendar,
    level: int | None = None,
) -> Rendered:
    """A `kind` message about commitment `key` as written at `now`, without an outbox row.

    The escalation is the rung `level` (default: the rung its stall has reached, else
    the first), sent to whoever would receive it; the earlier rungs and answers are the
    ones stored for its current stall episode. An acknowledged or snoozed notice shows
    the latest such answer, or a representative one when there is none yet.
    """
    if kind not in KINDS:
        raise UnknownMessageKindError(
            f"can't preview a {kind!r} message; preview writes {', '.join(KINDS)}"
        )
    commitment = queries.get_commitment(session, key)
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    if commitment.status != rules.Status.OPEN:
        raise TaskforceError(
            f"can't preview a {kind} message for {commitment.key}: it is closed"
            f" ({commitment.status}), and no message is sent about a closed commitment"
        )
    people = _Directory(session)
    item = _item_view(session, commitment, pipeline, people, base_url=base_url)
    if kind in LADDER_KINDS:
        context = _preview_ladder(
            session,
            kind,
            commitment,
            pipeline,
            item,
            people,
            now=now,
            calendar=calendar,
            level=level,
        )
    else:
        context = _preview_answer(session, kind, commitment, pipeline, item, people, now=now)
    return renderer.render(kind, language, context)


# --- stored messages -------------------------------------------------------------------


def _ladder_context(
    session: Session, message: OutboxMessage, catalogue: Catalogue, *, base_url: str
) -> dict[str, Any]:
    escalation = session.get(Escalation, message.escalation_id) if message.escalation_id else None
    if escalation is None:
        raise IncompleteMessageError(
            f"can't compose outbox message {message.id} ({message.kind}): it names no escalation"
        )
    commitment = session.get(Commitment, escalation.commitment_id)
    assert commitment is not None  # a foreign key guarantees it
    snapshot = escalation.snapshot
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    payload = message.payload
    people = _Directory(session)
    item = _item_view(
        session,
        commitment,
        pipeline,
        people,
        base_url=base_url,
        snapshot=snapshot,
        episode=escalation.stage_seq,
    )
    view = EscalationView(
        level=int(payload.get("level", escalation.level)),
        role=str(payload.get("role", escalation.role)),
        reason=str(payload.get("reason", escalation.reason)),
        due_at=_instant(payload.get("due_at"), escalation.due_at),
        overdue_days=int(payload.get("overdue_working_days", escalation.overdue_days)),
        raised_at=escalation.created_at,
        missing_role=payload.get("missing_role", escalation.missing_role),
        tried=_tried(session, commitment, escalation.stage_seq, escalation.level, people),
    )
    return {"item": item, "escalation": view}


def _answer_context(
    session: Session, message: OutboxMessage, catalogue: Catalogue, *, base_url: str
) -> dict[str, Any]:
    payload = message.payload
    key = payload.get("commitment")
    if not key:
        raise IncompleteMessageError(
            f"can't compose outbox message {message.id} ({message.kind}): its payload names"
            " no commitment"
        )
    commitment = queries.get_commitment(session, str(key))
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    people = _Directory(session)
    seq = int(payload.get("seq", commitment.stage_seq))
    item = _item_view(session, commitment, pipeline, people, base_url=base_url, answered_at_seq=seq)
    actor_email = str(payload.get("actor_email", ""))
    known = people.contact(actor_email)
    answer = AnswerView(
        kind=message.kind,
        at=_instant(payload.get("at"), message.created_at),
        by=Contact(
            name=str(payload.get("actor_name") or known.name),
            email=actor_email,
            role=payload.get("actor_role") or known.role,
        ),
        reason=str(payload.get("reason", "")),
        until=date.fromisoformat(payload["until"]) if payload.get("until") else None,
        escalations=int(payload.get("escalations", 0)),
    )
    return {"item": item, "answer": answer}


# --- previews --------------------------------------------------------------------------


def _preview_ladder(
    session: Session,
    kind: str,
    commitment: Commitment,
    pipeline: Pipeline,
    item: ItemView,
    people: _Directory,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    level: int | None,
) -> dict[str, Any]:
    state = workflow.state_of(commitment)
    when = due(pipeline, state, deadline=commitment.deadline, calendar=calendar)
    if when is None:
        raise TaskforceError(
            f"can't preview a {kind} for {commitment.key}: its stage {commitment.stage} has no"
            " time limit and it has no deadline, so it is never overdue"
        )
    stall = assess(pipeline, state, deadline=commitment.deadline, now=now, calendar=calendar)
    reason = str(when.reason)
    if when.reason is StallReason.DEADLINE and queries.open_children_count(session, commitment.id):
        reason = "children_open"
    if kind == "reminder":
        rung = LadderLevel.model_construct(level=0, after=0, notify=Role.OFFICER)
    else:
        rung = _rung(pipeline, commitment.key, level, stall.level if stall else None)
    target = Item(
        key=commitment.key,
        jurisdiction=commitment.jurisdiction,
        department=commitment.department,
        officer_email=commitment.officer.email if commitment.officer else None,
    )
    delivery = deliveries(pipeline, [rung], target, people.candidates())[0]
    if not delivery.recipients:
        raise TaskforceError(
            f"can't preview level {rung.level} for {commitment.key}: nobody holds the"
            f" {rung.notify} for it, nor any rung above; add them to the meeting file's people"
        )
    first = delivery.recipients[0]
    view = EscalationView(
        level=rung.level,
        role=str(rung.notify),
        reason=reason,
        due_at=when.at,
        overdue_days=stall.overdue_days if stall else 0,
        raised_at=now,
        missing_role=str(delivery.missing.notify) if delivery.missing else None,
        tried=_tried(session, commitment, commitment.stage_seq, rung.level, people),
    )
    return {
        "item": item,
        "escalation": view,
        "recipient": Contact(name=first.name, email=first.email, role=str(first.role)),
    }


def _rung(
    pipeline: Pipeline, key: str, level: int | None, reached: LadderLevel | None
) -> LadderLevel:
    if not pipeline.ladder:
        raise TaskforceError(f"{key} follows {pipeline.key}, which has no escalation ladder")
    if level is None:
        return reached or pipeline.ladder[0]
    for rung in pipeline.ladder:
        if rung.level == level:
            return rung
    known = ", ".join(str(r.level) for r in pipeline.ladder)
    raise TaskforceError(f"--level {level}: {pipeline.key}'s ladder has levels {known}")


def _preview_answer(
    session: Session,
    kind: str,
    commitment: Commitment,
    pipeline: Pipeline,
    item: ItemView,
    people: _Directory,
    *,
    now: datetime,
) -> dict[str, Any]:
    wanted = EventKind.ACKNOWLEDGED if kind == "acknowledged" else EventKind.SNOOZED
    latest = session.scalar(
        select(Event)
        .where(
            Event.commitment_id == commitment.id,
            Event.seq >= commitment.stage_seq,
            Event.kind == wanted.value,
        )
        .order_by(Event.seq.desc())
        .limit(1)
    )
    rungs = _episode_escalations(session, commitment.id, commitment.stage_seq)
    count = len([e for e in rungs if e.level > 0])
    if latest is not None:
        by = people.contact(latest.actor_email)
        answer = AnswerView(
            kind=kind,
            at=latest.at,
            by=Contact(name=by.name, email=by.email, role=latest.actor_role),
            reason=latest.comment or "",
            until=date.fromisoformat(latest.fields["until"]) if "until" in latest.fields else None,
            escalations=count,
        )
    else:
        answer = AnswerView(
            kind=kind,
            at=now,
            by=_representative_answerer(commitment, people),
            reason="…",
            until=local_day(now) + timedelta(days=pipeline.snooze_max_days)
            if kind == "snoozed"
            else None,
            escalations=count,
        )
    recipient = item.officer or answer.by
    return {"item": item, "answer": answer, "recipient": recipient}


def _representative_answerer(commitment: Commitment, people: _Directory) -> Contact:
    """Who would typically answer: the item's secretary, else anyone above it."""
    target = Item(
        key=commitment.key,
        jurisdiction=commitment.jurisdiction,
        department=commitment.department,
        officer_email=None,
    )
    for role in (Role.SECRETARY, Role.CHIEF_SECRETARY, Role.CHAIR):
        found = recipients(role, target, people.candidates())
        if found:
            return Contact(name=found[0].name, email=found[0].email, role=str(found[0].role))
    raise NotFoundError(
        f"nobody could answer {commitment.key}'s escalations: no secretary, chief secretary"
        " or chair covers it"
    )


# --- shared pieces ---------------------------------------------------------------------


class _Directory:
    """People looked up by email once per message; someone since removed keeps their address."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._known: dict[str, Contact] = {}
        self._candidates: list[Candidate] | None = None
        self._holders: People | None = None

    def contacts(self, emails: Iterable[str]) -> tuple[Contact, ...]:
        wanted = [e for e in emails if e.lower() not in self._known]
        if wanted:
            rows = self._session.scalars(
                select(Person).where(func.lower(Person.email).in_([e.lower() for e in wanted]))
            )
            for person in rows:
                self._known[person.email.lower()] = Contact(
                    name=person.name, email=person.email, role=person.role
                )
        return tuple(self._known.get(e.lower()) or Contact(name=e, email=e) for e in emails)

    def contact(self, email: str) -> Contact:
        return self.contacts([email])[0]

    def holders(self) -> People:
        """Everyone active, as the rule of who must act sees them: read once per message."""
        if self._holders is None:
            self._holders = waiting.holders(self._session)
        return self._holders

    def candidates(self) -> list[Candidate]:
        """Everyone active, as escalation recipient resolution sees them."""
        if self._candidates is None:
            self._candidates = [
                Candidate(
                    email=p.email,
                    name=p.name,
                    role=Role(p.role),
                    jurisdiction=p.jurisdiction,
                    department=p.department,
                    language=p.language,
                )
                for p in self._session.scalars(select(Person).where(Person.active.is_(True)))
            ]
        return self._candidates


def _item_view(
    session: Session,
    commitment: Commitment,
    pipeline: Pipeline,
    people: _Directory,
    *,
    base_url: str,
    snapshot: Mapping[str, Any] | None = None,
    episode: int | None = None,
    answered_at_seq: int | None = None,
) -> ItemView:
    """The item as the message describes it: as escalated (the snapshot), else as it is now.

    The actions are those open now; `moved_to` names the stage it is in now when it
    has left the one the message is about (a new stall episode began since).
    """
    shot: Mapping[str, Any] = snapshot or {}
    if snapshot is not None:
        officer_email = shot.get("officer")
        open_children = tuple(str(k) for k in shot.get("open_children", ()))
    else:
        officer_email = commitment.officer.email if commitment.officer else None
        open_children = tuple(
            c.key for c in queries.children(session, commitment) if c.status == "open"
        )
    stage = str(shot.get("stage", commitment.stage))
    deadline = shot.get("deadline")
    moved = (episode is not None and commitment.stage_seq != episode) or (
        answered_at_seq is not None and commitment.stage_seq > answered_at_seq
    )
    options = rules.options(pipeline, workflow.state_of(commitment))
    return ItemView(
        key=commitment.key,
        title=local(
            str(shot.get("title", commitment.title)),
            str(shot.get("title_ur") or commitment.title_ur or "") or None,
        ),
        link=link(base_url, commitment.key),
        pipeline_title=pipeline.title,
        stage=stage,
        stage_title=(
            _stage_title(pipeline, stage)
            if pipeline.has_stage(stage)
            else local(str(shot.get("stage_title") or stage))
        ),
        stage_entered_at=_instant(shot.get("stage_entered_at"), commitment.stage_entered_at),
        jurisdiction=str(shot.get("jurisdiction", commitment.jurisdiction)),
        department=str(shot.get("department", commitment.department)),
        officer=people.contact(str(officer_email)) if officer_email else None,
        deadline=date.fromisoformat(str(deadline)) if deadline else commitment.deadline,
        actions=tuple(
            ActionView(
                action=option.transition.action,
                title=option.transition.title,
                roles=tuple(str(role) for role in option.transition.roles),
            )
            for option in options
        ),
        open_children=open_children,
        waiting_on=tuple(
            Contact(name=h.name, email=h.email, role=h.role.value)
            for h in waiting_rule.waiting_on(
                pipeline,
                workflow.state_of(commitment),
                people.holders(),
                officer_email=commitment.officer.email if commitment.officer else None,
            )
        ),
        moved_to=_stage_title(pipeline, commitment.stage) if moved else None,
    )


def _stage_title(pipeline: Pipeline, stage: str) -> LocalText:
    return pipeline.stage(stage).title if pipeline.has_stage(stage) else local(stage)


def _episode_escalations(
    session: Session, commitment_id: int, stage_seq: int
) -> Sequence[Escalation]:
    return session.scalars(
        select(Escalation)
        .where(Escalation.commitment_id == commitment_id, Escalation.stage_seq == stage_seq)
        .order_by(Escalation.level)
    ).all()


def _tried(
    session: Session, commitment: Commitment, stage_seq: int, below: int, people: _Directory
) -> tuple[Step, ...]:
    """What the stall episode saw before rung `below`: lower rungs, and every answer so far."""
    steps: list[tuple[datetime, int, Step]] = []
    for rung in _episode_escalations(session, commitment.id, stage_seq):
        if rung.level >= below:
            continue
        steps.append(
            (
                rung.created_at,
                rung.level,
                Step(
                    kind="reminder" if rung.level == 0 else "escalation",
                    at=rung.created_at,
                    people=people.contacts(rung.recipients),
                    level=rung.level,
                    missing_role=rung.missing_role,
                ),
            )
        )
    answers = session.scalars(
        select(Event)
        .where(
            Event.commitment_id == commitment.id,
            Event.seq >= stage_seq,
            Event.kind.in_([EventKind.ACKNOWLEDGED.value, EventKind.SNOOZED.value]),
        )
        .order_by(Event.seq)
    )
    for event in answers:
        by = people.contact(event.actor_email)
        until = event.fields.get("until")
        steps.append(
            (
                event.at,
                event.seq,
                Step(
                    kind=event.kind,
                    at=event.at,
                    people=(Contact(name=by.name, email=by.email, role=event.actor_role),),
                    reason=event.comment,
                    until=date.fromisoformat(until) if until else None,
                ),
            )
        )
    # Rungs recorded in one sweep share a time: their level keeps them in order.
    return tuple(step for _, _, step in sorted(steps, key=lambda s: (s[0], s[1])))


def _instant(value: Any, fallback: datetime) -> datetime:
    """An ISO 8601 time from a payload or snapshot, else `fallback`."""
    if not value:
        return fallback
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else fallback
