"""Write-side: creating commitments and moving them, with their events, in one transaction.

This is the only code that changes a commitment's stage. It asks `states.rules`
whether a move is legal, then stores the new state and the event together; the
`version` column turns a lost race into a ConflictError instead of a lost update.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, false, func, insert, inspect, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from db import acting, evidence, people, queries
from db.models import Commitment, Event, Meeting, Person
from states import follow_up, remarks, rules, stalls
from states.actors import SYSTEM_ACTOR, Actor, Role
from states.calendar import WorkingCalendar, local_day
from states.catalogue import Catalogue
from states.definition import Ending, Pipeline
from states.effective import DEFAULT_MAX_DAYS_BACK, DatingLimits
from states.errors import (
    ConflictError,
    FieldError,
    RoleNotAllowedError,
    StorageError,
    TaskforceError,
)
from states.evidence import CheckedFile, EvidencePolicy, Upload
from states.evidence import check as check_files
from states.evidence import unattached as unattached_files
from states.message import Message
from states.pausing import deadline_after_pauses
from states.rules import (
    CommitmentState,
    Status,
    TransitionRequest,
    action_term,
    described,
    stage_term,
)

# Weekends and Pakistan's public holidays, without administrator-added closed days.
PUBLIC_HOLIDAYS_ONLY = WorkingCalendar()


@dataclass(frozen=True)
class NewCommitment:
    """What is needed to start a commitment."""

    key: str
    title: str
    pipeline: str
    jurisdiction: str
    department: str
    start_date: date
    started_at: datetime
    officer: Person | None = None
    meeting: Meeting | None = None
    agenda_item: str | None = None
    deadline: date | None = None
    parent: Commitment | None = None
    title_ur: str | None = None
    reason: str | None = None
    """Why it was started, said in its `created` event (e.g. its parent was enacted)."""
    follows_up: bool = False
    """Started by its parent's completion (a stage's follow_up): the parent is closed by then."""


@dataclass(frozen=True)
class Advanced:
    """What an advance did: the commitment after it, and any parents it completed."""

    commitment: Commitment
    event: Event
    rolled_up: tuple[str, ...]
    attachments: tuple[evidence.Attachment, ...] = ()


def state_of(commitment: Commitment) -> CommitmentState:
    return CommitmentState(
        key=commitment.key,
        pipeline=commitment.pipeline_key,
        pipeline_version=commitment.pipeline_version,
        jurisdiction=commitment.jurisdiction,
        stage=commitment.stage,
        status=Status(commitment.status),
        stage_entered_at=commitment.stage_entered_at,
        fields=dict(commitment.fields),
        department=commitment.department,
        paused_at=commitment.paused_at,
        stage_paused=timedelta(seconds=commitment.stage_paused_seconds or 0),
        deadline_paused=timedelta(seconds=commitment.deadline_paused_seconds or 0),
    )


def create(
    session: Session,
    catalogue: Catalogue,
    new: NewCommitment,
    *,
    actor: Actor,
    calendar: WorkingCalendar = PUBLIC_HOLIDAYS_ONLY,
) -> Commitment:
    """Start a commitment on the latest version of its pipeline, with its `created` event."""
    pipeline = catalogue.latest(new.pipeline)
    if new.parent is not None and new.parent.status != Status.OPEN and not new.follows_up:
        raise TaskforceError(
            f"can't add {new.key} under {new.parent.key}: {new.parent.key} is already"
            f" {new.parent.status}"
        )
    outcome = rules.start(
        pipeline,
        key=new.key,
        jurisdiction=new.jurisdiction,
        actor=actor,
        now=new.started_at,
        reason=new.reason,
    )
    commitment = Commitment(
        key=new.key,
        title=new.title,
        title_ur=new.title_ur,
        pipeline_key=pipeline.key,
        pipeline_version=pipeline.version,
        jurisdiction=new.jurisdiction,
        department=new.department,
        officer=new.officer,
        meeting=new.meeting,
        agenda_item=new.agenda_item,
        parent_id=new.parent.id if new.parent is not None else None,
        stage=outcome.state.stage,
        stage_entered_at=outcome.state.stage_entered_at,
        start_date=new.start_date,
        deadline=new.deadline or pipeline.deadline_for(new.start_date),
        status=outcome.state.status.value,
        fields={},
        created_at=new.started_at,
        stage_seq=1,
    )
    commitment.due_at = _due_at(pipeline, commitment, calendar)
    session.add(commitment)
    session.flush()
    append_event(session, commitment, outcome.event, seq=1)
    return commitment


def resume(
    session: Session,
    catalogue: Catalogue,
    commitment: Commitment,
    *,
    stage: str,
    fields: Mapping[str, str],
    entered_at: datetime,
    now: datetime,
    source: str,
    calendar: WorkingCalendar = PUBLIC_HOLIDAYS_ONLY,
) -> Event:
    """Put a commitment just created at the stage a meeting file says it had reached.

    One `loaded` event by the system, effective `entered_at`: the stage clock, due
    time and escalations count from then (`states.rules.resume` decides).
    """
    session.flush()  # the `created` event first: the move takes the number after it
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    outcome = rules.resume(
        pipeline,
        state_of(commitment),
        stage=stage,
        fields=fields,
        entered_at=entered_at,
        now=now,
        source=source,
    )
    due_at = _due_at(pipeline, commitment, calendar, state=outcome.state)
    with refusals(commitment.key):
        return _store_outcome(session, commitment, outcome, due_at=due_at, closed_at=None)


def supersede(
    session: Session,
    catalogue: Catalogue,
    commitment: Commitment,
    *,
    by: str,
    meeting: str,
    title: str,
    now: datetime,
    calendar: WorkingCalendar = PUBLIC_HOLIDAYS_ONLY,
) -> tuple[str, ...]:
    """End `commitment`, withdrawn: a later meeting replaced it with commitment `by`.

    Returns the parents this completed, as an advance would.
    """
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    outcome = rules.supersede(
        pipeline, state_of(commitment), by=by, meeting=meeting, title=title, now=now
    )
    with refusals(commitment.key):
        _store_outcome(session, commitment, outcome, due_at=None, closed_at=now)
        rolled_up = _roll_up(session, catalogue, commitment, now=now, calendar=calendar)
        session.flush()
    return rolled_up


def due_at_of(
    pipeline: Pipeline, commitment: Commitment, calendar: WorkingCalendar
) -> datetime | None:
    """When the commitment becomes overdue where it stands (after, say, a new deadline)."""
    return _due_at(pipeline, commitment, calendar)


def _due_at(
    pipeline: Pipeline,
    commitment: Commitment,
    calendar: WorkingCalendar,
    *,
    state: CommitmentState | None = None,
) -> datetime | None:
    when = stalls.due(
        pipeline, state or state_of(commitment), deadline=commitment.deadline, calendar=calendar
    )
    return when.at if when else None


def advance(
    session: Session,
    catalogue: Catalogue,
    *,
    key: str,
    action: str,
    actor_email: str,
    fields: Mapping[str, str] | None = None,
    comment: str | None = None,
    now: datetime,
    expected_version: int | None = None,
    calendar: WorkingCalendar = PUBLIC_HOLIDAYS_ONLY,
    effective_at: datetime | None = None,
    max_days_back: int = DEFAULT_MAX_DAYS_BACK,
    attachments: Sequence[Upload] = (),
    policy: EvidencePolicy = EvidencePolicy(),  # noqa: B008 (frozen, immutable)
) -> Advanced:
    """Take `action` on commitment `key` as the person `actor_email`.

    `expected_version` is the version the person saw (a web form sends it): if the
    commitment moved since, the request is refused with a ConflictError rather than
    applied to a state they never saw.

    `effective_at` says when the move really happened, if before `now` (checked by
    `states.effective`: not before the previous event, not in the future, at most
    `max_days_back` days back below a secretary); the new stage's clock, its due time
    and its escalations count from then, while the event is recorded at `now`.

    `attachments` are files kept with the move's event (checked against `policy`
    before anything moves).
    """
    commitment = queries.get_commitment(session, key)
    known_key = commitment.key  # still readable after a failed flush expires the object
    if expected_version is not None and commitment.version != expected_version:
        raise _conflict(catalogue, commitment, expected_version)
    actor = _actor(session, actor_email)
    files = check_files(attachments, policy, key=known_key, stage=commitment.stage, action=action)
    _check_file_fields(session, catalogue, commitment, action, fields or {}, files)
    request = TransitionRequest(
        action=action,
        actor=actor,
        fields=dict(fields or {}),
        comment=comment,
        effective_at=effective_at,
    )
    dating = (
        DatingLimits(previous=latest_effective(session, commitment.id), max_days_back=max_days_back)
        if effective_at is not None
        else None
    )
    with refusals(known_key):
        try:
            event = _apply(
                session, catalogue, commitment, request, now=now, calendar=calendar, dating=dating
            )
        except RoleNotAllowedError:
            # Someone holding the holder's acting charge acts with the holder's authority.
            stand_in = acting.as_holder(session, actor, commitment, today=local_day(now))
            if stand_in is None:
                raise
            request = replace(request, actor=stand_in)
            event = _apply(
                session, catalogue, commitment, request, now=now, calendar=calendar, dating=dating
            )
        kept = evidence.attach(session, event.id, files, by=actor.email, now=now)
        rolled_up = (
            _roll_up(session, catalogue, commitment, now=now, calendar=calendar)
            if commitment.status != Status.OPEN
            else ()
        )
        session.flush()
    return Advanced(commitment=commitment, event=event, rolled_up=rolled_up, attachments=kept)


def _check_file_fields(
    session: Session,
    catalogue: Catalogue,
    commitment: Commitment,
    action: str,
    fields: Mapping[str, str],
    files: Sequence[CheckedFile],
) -> None:
    """Refuse a `file` field that names neither a file of this move nor one kept with the item."""
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    named = {value.strip().lower() for value in fields.values()}
    kept = {file.sha256 for file in files} | evidence.kept_for(session, commitment.id, named)
    problems = unattached_files(pipeline.fields, fields, kept)
    if problems:
        raise FieldError(
            Message(
                "Can't {action} {key}: {problem}",
                action=action_term(pipeline, action),
                key=commitment.key,
                problem=described(problems),
            ),
            key=commitment.key,
            stage=commitment.stage,
            action=action,
            fields=list(problems),
            problems=problems,
        )


# The event numbering, (commitment, seq) unique: as PostgreSQL names it, and as SQLite says it.
_EVENT_NUMBERING = ("uq_events_commitment_id_seq", "events.commitment_id, events.seq")


@contextmanager
def refusals(key: str) -> Iterator[None]:
    """The database's refusals of a write to commitment `key`, as our errors.

    Only the version check (the UPDATE matching no row) and the event numbering
    (two writers taking the same event number) mean that someone else changed the
    commitment first: a ConflictError, worth retrying after a look. Any other broken
    constraint (say a duplicate event id after a restore) is a StorageError naming
    it: retrying would fail the same way.
    """
    try:
        yield
    except StaleDataError as error:
        raise _changed_meanwhile(key) from error
    except IntegrityError as error:
        broken = violated_constraint(error)
        if any(name in broken for name in _EVENT_NUMBERING):
            raise _changed_meanwhile(key) from error
        raise StorageError(
            f"the database refused the change to {key}: {broken}; nothing was changed"
            " — the database needs an administrator's attention"
        ) from error


def violated_constraint(error: IntegrityError) -> str:
    """The database's one-line account of the broken constraint, without SQL or values."""
    diagnosis = getattr(error.orig, "diag", None)  # psycopg names the constraint
    primary = getattr(diagnosis, "message_primary", None)
    text = primary or str(error.orig).splitlines()[0]
    return " ".join(text.split())[:200]


def _changed_meanwhile(key: str) -> ConflictError:
    return ConflictError(
        Message(
            "{key} was changed by someone else while you were working;"
            " look at it again and retry if still needed",
            key=key,
        )
    )


def latest_effective(session: Session, commitment_id: int) -> datetime:
    """The moment the commitment's latest event took effect: nothing can be dated before it."""
    moment = session.connection().execute(_LATEST_EFFECTIVE, {"id_": commitment_id}).scalar()
    assert isinstance(moment, datetime)  # every commitment has its `created` event
    return moment


_PEOPLE = Person.__table__
_ACTIVE_BY_EMAIL = select(
    _PEOPLE.c.email, _PEOPLE.c.role, _PEOPLE.c.jurisdiction, _PEOPLE.c.name, _PEOPLE.c.department
).where(func.lower(_PEOPLE.c.email) == bindparam("email"), _PEOPLE.c.active == true())


def _actor(session: Session, email: str) -> Actor:
    """The active person with `email` as an actor, read as plain columns.

    Loading the Person entity only to read four columns was a fifth of an advance's
    cost; when nobody active has the address, `people.by_email` says why.
    """
    row = session.connection().execute(_ACTIVE_BY_EMAIL, {"email": email.lower()}).first()
    if row is None:
        return people.actor_for(people.by_email(session, email))
    return Actor(
        email=row.email,
        role=Role(row.role),
        jurisdiction=row.jurisdiction,
        name=row.name,
        department=row.department,
    )


def _conflict(catalogue: Catalogue, commitment: Commitment, expected_version: int) -> ConflictError:
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    return ConflictError(
        Message(
            "{key} changed since you looked at it (version {expected}, now {version});"
            " it is now in {stage} — review it and try again",
            key=commitment.key,
            expected=expected_version,
            version=commitment.version,
            stage=stage_term(pipeline, commitment.stage),
        )
    )


def _apply(
    session: Session,
    catalogue: Catalogue,
    commitment: Commitment,
    request: TransitionRequest,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    dating: DatingLimits | None = None,
) -> Event:
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    # Only a completing move asks which children are open (a system roll-up runs when none is).
    target = next(
        (t.to for t in pipeline.transitions_from(commitment.stage) if t.action == request.action),
        None,
    )
    open_children = (
        queries.open_children_keys(session, commitment.id)
        if target is not None
        and pipeline.stage(target).outcome is Ending.COMPLETED
        and not pipeline.completes_with_open_children
        else ()
    )
    outcome = rules.apply(
        pipeline,
        state_of(commitment),
        request,
        now=now,
        dating=dating,
        open_children=open_children,
    )
    due_at = _due_at(pipeline, commitment, calendar, state=outcome.state)
    event = _store_outcome(
        session, commitment, outcome, due_at=due_at, closed_at=now if outcome.closed else None
    )
    _start_follow_up(
        session, catalogue, pipeline, commitment, outcome, request.action, calendar=calendar
    )
    return event


def _start_follow_up(
    session: Session,
    catalogue: Catalogue,
    pipeline: Pipeline,
    commitment: Commitment,
    outcome: rules.Outcome,
    action: str,
    *,
    calendar: WorkingCalendar,
) -> Commitment | None:
    """Start the follow-up the stage just reached declares (an enacted bill's rules and
    bodies), as the commitment's child, in the transaction of the move.

    Exactly once: only the move into the stage starts it, and that move happens once (the
    commitment is closed by it, and a retried move is refused); a key already taken
    refuses the move, and the move and the follow-up are rolled back together.
    """
    stage = pipeline.stage(outcome.state.stage)
    if stage.follow_up is None:
        return None
    made = follow_up.follow_up(
        pipeline,
        outcome.state,
        catalogue.latest(stage.follow_up),
        title=commitment.title,
        title_ur=commitment.title_ur,
        action=action,
    )
    if made is None:
        return None
    if session.scalar(select(Commitment.id).where(Commitment.key == made.key)) is not None:
        raise follow_up.taken_refusal(pipeline, outcome.state, action)
    now = outcome.event.at
    return create(
        session,
        catalogue,
        NewCommitment(
            key=made.key,
            title=made.title,
            title_ur=made.title_ur,
            pipeline=made.pipeline,
            jurisdiction=commitment.jurisdiction,
            department=commitment.department,
            start_date=local_day(now),
            started_at=now,
            officer=commitment.officer,
            meeting=commitment.meeting,
            agenda_item=commitment.agenda_item,
            parent=commitment,
            reason=made.reason,
            follows_up=True,
        ),
        actor=SYSTEM_ACTOR,
        calendar=calendar,
    )


def _store_outcome(
    session: Session,
    commitment: Commitment,
    outcome: rules.Outcome,
    *,
    due_at: datetime | None,
    closed_at: datetime | None,
) -> Event:
    """Persist a rule's outcome: the commitment's new stage, then the event that moved it."""
    state = outcome.state
    moved: dict[str, Any] = {
        "stage": state.stage,
        "status": state.status.value,
        "stage_entered_at": state.stage_entered_at,
        "fields": dict(state.fields),
        # A new stage is a new stall episode (stage_seq, the number of the event that
        # starts it, is set by the UPDATE): its own clock, its own escalations, no snooze.
        "snoozed_until": None,
        "due_at": due_at,
        "stage_paused_seconds": int(state.stage_paused.total_seconds()),
    }
    if closed_at is not None:
        moved["closed_at"] = closed_at
    seq = _store_move(session, commitment, moved)
    return _insert_event(session, commitment, outcome.event, seq=seq)


_COMMITMENTS: Table = Commitment.__table__  # type: ignore[assignment]
_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_MOVED = (
    "stage",
    "status",
    "stage_entered_at",
    "fields",
    "snoozed_until",
    "due_at",
    "stage_paused_seconds",
)


def _move_statement(columns: tuple[str, ...]) -> Any:
    c = _COMMITMENTS.c
    # The next event number, read by the UPDATE itself: one statement fewer per move.
    next_seq = (
        select(func.coalesce(func.max(_EVENTS.c.seq), 0) + 1)
        .where(_EVENTS.c.commitment_id == bindparam("id_"))
        .scalar_subquery()
    )
    return (
        update(_COMMITMENTS)
        .where(c.id == bindparam("id_"), c.version == bindparam("version_"))
        .values(
            {
                **{name: bindparam(f"{name}_", type_=c[name].type) for name in columns},
                "stage_seq": next_seq,
                # A new stage is a new stall episode: nothing escalated in it yet.
                "escalated_level": 0,
                "answered": false(),
                "version": bindparam("next_version_", type_=c.version.type),
            }
        )
        .returning(c.stage_seq)
    )


# Built once: the move is the hot path of every request that advances a commitment.
_MOVE = _move_statement(_MOVED)
_MOVE_AND_CLOSE = _move_statement((*_MOVED, "closed_at"))
_INSERT_EVENT = insert(_EVENTS)


def _store_move(session: Session, commitment: Commitment, moved: dict[str, Any]) -> int:
    """UPDATE ... WHERE id = ? AND version = ?, then record the new values on the loaded object.

    What the ORM's flush did for a move (the version check and bump), as one
    prepared statement that also takes the next event number (returned): the
    unit of work cost as much as the rest of an advance. A lost race raises
    StaleDataError, as the flush did.
    """
    if inspect(commitment).modified:
        session.flush()  # changes made before the move go first, as the flush ordered them
    version = commitment.version
    statement = _MOVE_AND_CLOSE if "closed_at" in moved else _MOVE
    params = {f"{name}_": value for name, value in moved.items()}
    params.update(id_=commitment.id, version_=version, next_version_=version + 1)
    # Core statements go straight to the transaction's connection: the session adds nothing.
    seq = session.connection().execute(statement, params).scalar()
    if seq is None:
        raise StaleDataError(
            "UPDATE statement on table 'commitments' expected to update 1 row(s); 0 were matched."
        )
    for name, value in moved.items():
        set_committed_value(commitment, name, value)
    set_committed_value(commitment, "stage_seq", seq)
    set_committed_value(commitment, "escalated_level", 0)
    set_committed_value(commitment, "answered", False)
    set_committed_value(commitment, "version", version + 1)
    return int(seq)


def _insert_event(
    session: Session, commitment: Commitment, event: rules.Event, *, seq: int
) -> Event:
    """Insert the move's event with one statement; the row comes back as it will after the
    transaction (detached, with its id), without a trip through the unit of work."""
    row = _event_row(commitment, event, seq=seq)
    values = {name: getattr(row, name) for name in _EVENT_COLUMNS}
    result = session.connection().execute(_INSERT_EVENT, values)
    inserted = result.inserted_primary_key
    assert inserted is not None
    row.id = inserted[0]
    make_transient_to_detached(row)
    return row


_EVENT_COLUMNS = tuple(c.name for c in _EVENTS.c if c.name != "id")
_LATEST_EFFECTIVE = select(func.max(_EVENTS.c.effective_at)).where(
    _EVENTS.c.commitment_id == bindparam("id_")
)


def complete_parent(
    session: Session,
    catalogue: Catalogue,
    parent_id: int,
    *,
    now: datetime,
    calendar: WorkingCalendar = PUBLIC_HOLIDAYS_ONLY,
) -> tuple[str, ...]:
    """The sweep's safety net: complete a parent whose children have all ended.

    Normally the last child's advance does this; a parent can still be left open
    when, say, its children were closed before the pipeline declared a roll-up.
    """
    parent = _locked(session, parent_id)
    with refusals(parent.key):
        if not queries.children_count(session, parent.id) or not _complete_if_every_child_ended(
            session, catalogue, parent, now=now, calendar=calendar
        ):
            return ()
        rolled_up = _roll_up(session, catalogue, parent, now=now, calendar=calendar)
        session.flush()
    return (parent.key, *rolled_up)


def lapse_at_deadline(
    session: Session,
    catalogue: Catalogue,
    commitment_id: int,
    *,
    today: date,
    now: datetime,
    calendar: WorkingCalendar = PUBLIC_HOLIDAYS_ONLY,
) -> tuple[str, ...]:
    """Take the pipeline's on_deadline action on a commitment whose deadline has passed.

    Returns the keys of the parents this completed, after the commitment's own
    (an empty tuple when nothing was due).
    """
    commitment = _locked(session, commitment_id)
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    if (
        commitment.status != Status.OPEN
        or pipeline.on_deadline is None
        or commitment.deadline is None
        or commitment.paused_at is not None
        or deadline_after_pauses(
            commitment.deadline, timedelta(seconds=commitment.deadline_paused_seconds or 0)
        )
        >= today
    ):
        return ()
    with refusals(commitment.key):
        _system_apply(
            session,
            catalogue,
            commitment,
            pipeline.on_deadline,
            f"the deadline of {commitment.deadline:%-d %B %Y} has passed",
            now=now,
            calendar=calendar,
        )
        rolled_up = _roll_up(session, catalogue, commitment, now=now, calendar=calendar)
        session.flush()
    return (commitment.key, *rolled_up)


def take_system_action(
    session: Session,
    catalogue: Catalogue,
    commitment: Commitment,
    action: str,
    why: str,
    *,
    now: datetime,
    calendar: WorkingCalendar = PUBLIC_HOLIDAYS_ONLY,
) -> tuple[Event, tuple[str, ...]]:
    """The system takes `action` on `commitment` (say, its assembly was dissolved), saying
    `why` in the event; returns the event and the keys of the parents this completed."""
    with refusals(commitment.key):
        event = _system_apply(
            session, catalogue, commitment, action, why, now=now, calendar=calendar
        )
        rolled_up = (
            _roll_up(session, catalogue, commitment, now=now, calendar=calendar)
            if commitment.status != Status.OPEN
            else ()
        )
        session.flush()
    return event, rolled_up


def _locked(session: Session, commitment_id: int) -> Commitment:
    commitment = session.get(
        Commitment,
        commitment_id,
        # Lock the commitment row alone: PostgreSQL refuses FOR UPDATE across the
        # outer joins that eagerly load the officer and meeting.
        with_for_update={"of": Commitment},
        populate_existing=True,
    )
    assert commitment is not None
    return commitment


def _system_apply(
    session: Session,
    catalogue: Catalogue,
    commitment: Commitment,
    action: str,
    why: str,
    *,
    now: datetime,
    calendar: WorkingCalendar,
) -> Event:
    request = TransitionRequest(action=action, actor=SYSTEM_ACTOR, comment=why)
    return _apply(session, catalogue, commitment, request, now=now, calendar=calendar)


def _complete_if_every_child_ended(
    session: Session,
    catalogue: Catalogue,
    parent: Commitment,
    *,
    now: datetime,
    calendar: WorkingCalendar,
) -> bool:
    """Apply the parent's roll-up action if it has one, is open, and no child is open."""
    pipeline = catalogue.get(parent.pipeline_key, parent.pipeline_version)
    if (
        parent.status != Status.OPEN
        or pipeline.on_children_done is None
        or queries.open_children_count(session, parent.id) > 0
    ):
        return False
    _system_apply(
        session,
        catalogue,
        parent,
        pipeline.on_children_done,
        "every child commitment has ended",
        now=now,
        calendar=calendar,
    )
    return True


def _roll_up(
    session: Session,
    catalogue: Catalogue,
    child: Commitment,
    *,
    now: datetime,
    calendar: WorkingCalendar,
) -> tuple[str, ...]:
    """Complete the parents whose last open child just closed, up the chain.

    The parent row is locked first so two children closing at once cannot each
    believe the other is still open.
    """
    completed: list[str] = []
    current = child
    while current.parent_id is not None:
        parent = _locked(session, current.parent_id)
        if not _complete_if_every_child_ended(
            session, catalogue, parent, now=now, calendar=calendar
        ):
            break
        completed.append(parent.key)
        current = parent
    return tuple(completed)


def append_event(
    session: Session, commitment: Commitment, event: rules.Event, *, seq: int
) -> Event:
    row = _event_row(commitment, event, seq=seq)
    session.add(row)
    return row


def _event_row(commitment: Commitment, event: rules.Event, *, seq: int) -> Event:
    return Event(
        commitment_id=commitment.id,
        seq=seq,
        kind=event.kind.value,
        at=event.at,
        actor_email=event.actor_email,
        actor_role=event.actor_role.value,
        action=event.action,
        from_stage=event.from_stage,
        to_stage=event.to_stage,
        fields=dict(event.fields),
        comment=event.comment,
        effective_at=event.happened_at,
    )


@dataclass(frozen=True)
class Noted:
    """A remark recorded: the commitment (unmoved), its `note` event and the files kept with it."""

    commitment: Commitment
    event: Event
    attachments: tuple[evidence.Attachment, ...]


def note(
    session: Session,
    *,
    key: str,
    actor_email: str,
    text: str,
    now: datetime,
    attachments: Sequence[Upload] = (),
    policy: EvidencePolicy = EvidencePolicy(),  # noqa: B008 (frozen, immutable)
) -> Noted:
    """Add a remark (and any files) to commitment `key` as the person `actor_email`.

    The commitment row is not written: stage, stage clock, due time, stall episode
    and `version` stay as they were, so a form open on the page stays current. The
    event takes the next number; if a move takes it first, the remark is refused
    as a conflict and nothing is kept.
    """
    commitment = queries.get_commitment(session, key)
    known_key = commitment.key
    actor = _actor(session, actor_email)
    made = remarks.note(
        state_of(commitment), actor, text=text, now=now, with_files=bool(attachments)
    )
    files = check_files(
        attachments, policy, key=known_key, stage=commitment.stage, action=remarks.ACTION
    )
    with refusals(known_key):
        seq = queries.next_event_seq(session, commitment.id)
        row = _insert_event(session, commitment, made, seq=seq)
        kept = evidence.attach(session, row.id, files, by=actor.email, now=now)
        session.flush()
    return Noted(commitment=commitment, event=row, attachments=kept)
