"""The JSON API under /api/v1: the same rules and the same access as the pages.

Every route authenticates with a bearer token (`taskforce tokens create EMAIL`)
and declares its `Access`; errors come back as {"error": {"code", "message"}}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from db import attention, escalations, evidence, pausing, queries, waiting, workflow
from db.attention import Answers
from db.digest import content_of, last_digest
from db.listing import Page
from db.models import Commitment, Escalation, Event
from states import moments
from states.access import Access
from states.actors import FEDERAL, PROVINCES, jurisdiction_problem
from states.attention import Handled, Handling
from states.calendar import PAKISTAN_TIME, local_day
from states.definition import Pipeline
from states.errors import NotFoundError, TaskforceError
from states.localtext import LocalText
from states.paging import (
    CURSOR_MAX,
    KEY_CURSOR_PATTERN,
    PAGE_SIZE,
    PAGE_SIZE_MAX,
    URGENCY_CURSOR_PATTERN,
    Order,
    Position,
    read_cursor,
)
from states.references import (
    REFERENCE_MAX,
    REFERENCE_PATTERN,
    TAG_MAX,
    TAG_PATTERN,
    parse_reference,
    parse_tag,
)
from states.rules import ActionOption
from states.text import (
    COMMITMENT_KEY_PATTERN,
    DEPARTMENT,
    DEPARTMENT_MAX,
    JURISDICTION_MAX,
    KEY_MAX,
    KEY_PATTERN,
    SEARCH_MAX,
    SINGLE_LINE_PATTERN,
    search_words,
)
from states.waiting import People
from taskforce import views
from taskforce.app import App
from taskforce.web import details
from taskforce.web.context import Web, web_of
from taskforce.web.details import Timing
from taskforce.web.guard import api, check, declared
from taskforce.web.schemas import (
    AcknowledgedOut,
    AcknowledgeIn,
    ActionOut,
    AdvanceIn,
    AttachmentOut,
    CommitmentDetailOut,
    CommitmentOut,
    CommitmentPage,
    DigestOut,
    ErrorOut,
    EscalationOut,
    EventOut,
    FieldOut,
    HandledOut,
    PauseIn,
    PersonOut,
    ResumeIn,
    SnoozeIn,
    TimingOut,
)
from taskforce.web.viewer import Viewer

PREFIX = "/api/v1"
JURISDICTION_PATTERN = f"^(federal|({'|'.join(PROVINCES)})(/[a-z][a-z0-9_]*)?)$"


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "the request cannot be acted on",
        401: "no valid API token",
        403: "the token's person may not do this",
        404: "no such commitment or digest",
        409: "the commitment changed since you read it",
        422: "the request or its fields are not valid",
    }
    return {code: {"model": ErrorOut, "description": described[code]} for code in codes}


router = APIRouter(prefix=PREFIX, tags=["commitments"], responses=_errors(401, 422))

SignedIn = Annotated[Viewer, Depends(api(Access.SIGNED_IN))]

# A key in the address, in either case (lookups upper-case it); anything else is refused
# before it reaches a query, where PostgreSQL would refuse a NUL with an error.
CommitmentKey = Annotated[
    str,
    Path(
        max_length=KEY_MAX,
        pattern=COMMITMENT_KEY_PATTERN.replace("A-Z", "A-Za-z"),
        description="the commitment's key, e.g. CMB-PUNJAB",
    ),
]
PipelineKey = Annotated[str | None, Query(max_length=KEY_MAX, pattern=KEY_PATTERN)]


def _one_line_department(value: str | None) -> str | None:
    return value if value is None else DEPARTMENT.validate(value)


# The pattern tells the document's readers; the rule (states/text.py) says what is wrong.
Department = Annotated[
    str | None,
    Query(max_length=DEPARTMENT_MAX, pattern=SINGLE_LINE_PATTERN),
    AfterValidator(_one_line_department),
]


def _reference(value: str | None) -> str | None:
    return value if value is None else parse_reference(value).text


def _tag(value: str | None) -> str | None:
    return value if value is None else parse_tag(value)


# A bad reference or tag is refused (422) with the rule's message naming the kind and form;
# the pattern only tells the document's readers the normalized form.
RefQuery = Annotated[
    str | None,
    Query(
        max_length=REFERENCE_MAX,
        description="a reference, e.g. sdg:5.3, treaty:CEDAW/C/PAK/CO/5#24, upr:4/152.123,"
        " nap:HR-12",
        json_schema_extra={"pattern": REFERENCE_PATTERN},
    ),
    AfterValidator(_reference),
]
TagQuery = Annotated[
    str | None,
    Query(
        max_length=TAG_MAX,
        description="a tag, e.g. child-marriage",
        json_schema_extra={"pattern": TAG_PATTERN},
    ),
    AfterValidator(_tag),
]


def _words(value: str | None) -> str | None:
    return value if value is None else search_words(value)


SearchQuery = Annotated[
    str | None,
    Query(
        max_length=SEARCH_MAX,
        pattern=SINGLE_LINE_PATTERN,
        description="words found in the key, title, officer's name or e-mail, or a reference"
        " (e.g. CMB-PUNJAB, child marriage, sdg:5.3, CEDAW/C/PAK/CO/5); any case",
    ),
    AfterValidator(_words),
]
_AFTER = "the `next` of the previous page; leave out for the first page"
AfterKey = Annotated[
    str | None, Query(max_length=CURSOR_MAX, pattern=KEY_CURSOR_PATTERN, description=_AFTER)
]
AfterUrgent = Annotated[
    str | None, Query(max_length=CURSOR_MAX, pattern=URGENCY_CURSOR_PATTERN, description=_AFTER)
]
LimitQuery = Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX, description="items per page")]


def _position(after: str | None, order: Order) -> Position | None:
    return read_cursor(after, order, name="after") if after else None


def handled_out(handled: Handled | None) -> HandledOut | None:
    if handled is None:
        return None
    return HandledOut(
        kind=handled.how.value,
        by=handled.by,
        on=handled.on if handled.how is Handling.ACKNOWLEDGED else None,
        until=handled.on if handled.how is Handling.SNOOZED else None,
    )


def timing_out(timing: Timing, answers: Answers | None) -> TimingOut:
    """The clock, and what was actually escalated and answered (`answers`; None when closed)."""
    return TimingOut(
        due_at=timing.due_at,
        due_reason=timing.reason,
        working_days_left=timing.working_days_left,
        overdue_working_days=timing.overdue_days,
        ladder_level=answers.level if answers is not None else None,
        level_due=timing.level_due,
        handled=handled_out(answers.handled if answers is not None else None),
        stalled=timing.stalled,
    )


def commitment_out(
    web: Web,
    commitment: Commitment,
    now: datetime,
    people: People,
    answers: Mapping[int, Answers],
) -> CommitmentOut:
    return CommitmentOut(**_commitment_fields(web, commitment, now, people, answers))


def _commitment_fields(
    web: Web,
    commitment: Commitment,
    now: datetime,
    people: People,
    answers: Mapping[int, Answers],
) -> dict[str, Any]:
    """The same record the CLI prints as JSON, with the clock, who must act and the page.

    `answers` are those `db.attention.answers_of` read for the whole page at once.
    """
    installation: App = web.installation
    pipeline = installation.catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    return {
        **views.commitment_record(commitment, pipeline),
        "timing": timing_out(
            details.timing(installation, commitment, now), answers.get(commitment.id)
        ),
        "waiting_on": waiting.records(
            waiting.waiting_on(installation.catalogue, commitment, people)
        ),
        "url": f"{installation.settings.base_url.rstrip('/')}/commitments/{commitment.key}",
    }


def event_out(
    event: Event, attachments: Mapping[int, Sequence[evidence.Attachment]] | None = None
) -> EventOut:
    files = (attachments or {}).get(event.id, ())
    return EventOut(
        seq=event.seq,
        kind=event.kind,
        at=event.at,
        effective_at=event.effective_at,
        actor=event.actor_email,
        role=event.actor_role,
        action=event.action,
        from_stage=event.from_stage,
        to_stage=event.to_stage,
        fields=dict(event.fields),
        comment=event.comment,
        attachments=[AttachmentOut(**file.as_record()) for file in files],
    )


def _english(text: LocalText | None) -> str | None:
    return text.en if text is not None else None


def action_out(option: ActionOption, pipeline: Pipeline) -> ActionOut:
    return ActionOut(
        action=option.transition.action,
        title=option.transition.title.en,
        to=option.transition.to,
        fields=[
            FieldOut(
                name=name,
                title=pipeline.fields[name].title.en,
                kind=str(pipeline.fields[name].kind),
                help=_english(pipeline.fields[name].help),
            )
            for name in option.needs
        ],
        comment_required=option.comment_required,
    )


def escalation_out(row: Escalation) -> EscalationOut:
    return EscalationOut(
        level=row.level,
        role=row.role,
        reason=row.reason,
        due_at=row.due_at,
        overdue_days=row.overdue_days,
        recipients=list(row.recipients),
        created_at=row.created_at,
    )


def detail_out(web: Web, key: str, viewer: Viewer) -> CommitmentDetailOut:
    now = web.now()
    with web.reading() as session:
        found = details.detail(session, web.installation, key, viewer, now)
        files = evidence.of_events(session, [event.id for event in found.history])
        people = waiting.holders(session)
        kids = [child for child, _ in found.children]
        answers = attention.answers_of(session, [found.commitment, *kids], today=local_day(now))
        return CommitmentDetailOut(
            **_commitment_fields(web, found.commitment, now, people, answers),
            history=[event_out(event, files) for event in found.history],
            actions=[action_out(option, found.pipeline) for option in found.options],
            open_escalations=[escalation_out(row) for row in found.open_escalations],
            children=[commitment_out(web, child, now, people, answers) for child in kids],
            parent=found.parent_key,
        )


def _scope(viewer: Viewer, asked: str | None) -> str | None:
    """The jurisdiction to list: what was asked, if the viewer covers it; else theirs."""
    if asked is None:
        return details.scope_of(viewer)
    problem = jurisdiction_problem(asked)
    if problem:
        raise TaskforceError(f"jurisdiction: {problem}")
    check(Access.ITEM, viewer, jurisdiction=asked, what=f"the items of {asked}")
    return None if asked == FEDERAL and viewer.jurisdiction == FEDERAL else asked


@router.get("/me", name="api_me", **declared(Access.SIGNED_IN))
def me(viewer: SignedIn) -> PersonOut:
    """Who the token belongs to."""
    return PersonOut(
        email=viewer.email,
        name=viewer.name,
        role=viewer.role.value,
        jurisdiction=viewer.jurisdiction,
        department=viewer.department,
        language=viewer.language,
    )


@router.get(
    "/commitments",
    name="api_list_commitments",
    responses=_errors(400, 403),
    **declared(Access.SIGNED_IN),
)
def list_commitments(
    request: Request,
    viewer: SignedIn,
    pipeline: PipelineKey = None,
    jurisdiction: Annotated[
        str | None,
        Query(
            max_length=JURISDICTION_MAX,
            pattern=JURISDICTION_PATTERN,
            description="federal, a province or province/district",
        ),
    ] = None,
    stage: PipelineKey = None,
    status: Annotated[str | None, Query(pattern="^(open|completed|withdrawn|lapsed)$")] = None,
    department: Department = None,
    ref: RefQuery = None,
    tag: TagQuery = None,
    stalled: Annotated[bool, Query(description="only those past due now")] = False,
    q: SearchQuery = None,
    limit: LimitQuery = PAGE_SIZE,
    after: AfterKey = None,
) -> CommitmentPage:
    """Commitments within the caller's jurisdiction, filtered, a page at a time by key."""
    position = _position(after, Order.KEY)
    web = web_of(request)
    now = web.now()
    where = queries.CommitmentFilter(
        pipeline=pipeline,
        jurisdiction=_scope(viewer, jurisdiction),
        stage=stage,
        status=status,
        department=department,
        due_by=now if stalled else None,
        ref=ref,
        tag=tag,
        words=q,
    )
    with web.reading() as session:
        page = queries.page_by_key(session, where, after=position, limit=limit)
        total = queries.count_commitments(session, where)
        return _page_out(web, session, page, total=total, limit=limit, now=now)


def _page_out(
    web: Web, session: Session, page: Page[Commitment], *, total: int, limit: int, now: datetime
) -> CommitmentPage:
    people = waiting.holders(session)
    # One read of what was escalated and answered for the whole page, not one per item.
    answers = attention.answers_of(session, page.rows, today=local_day(now))
    return CommitmentPage(
        items=[commitment_out(web, item, now, people, answers) for item in page.rows],
        total=total,
        limit=limit,
        next=page.next.cursor() if page.next else None,
    )


@router.get(
    "/stalled",
    name="api_stalled",
    responses=_errors(403),
    **declared(Access.SIGNED_IN),
)
def stalled(
    request: Request,
    viewer: SignedIn,
    limit: LimitQuery = PAGE_SIZE,
    after: AfterUrgent = None,
) -> CommitmentPage:
    """Open commitments past due within the caller's jurisdiction, longest overdue first."""
    position = _position(after, Order.URGENCY)
    web = web_of(request)
    now = web.now()
    where = queries.CommitmentFilter(jurisdiction=details.scope_of(viewer), due_by=now)
    with web.reading() as session:
        page = queries.page_by_urgency(session, where, after=position, limit=limit)
        total = queries.count_commitments(session, where)
        return _page_out(web, session, page, total=total, limit=limit, now=now)


@router.get(
    "/commitments/{key}",
    name="api_get_commitment",
    responses=_errors(403, 404),
    **declared(Access.ITEM),
)
def get_commitment(request: Request, viewer: SignedIn, key: CommitmentKey) -> CommitmentDetailOut:
    """One commitment with its history, the actions the caller may take, and open escalations."""
    return detail_out(web_of(request), key, viewer)


@router.post(
    "/commitments/{key}/advance",
    name="api_advance",
    responses=_errors(400, 403, 404, 409),
    **declared(Access.ADVANCE),
)
def advance(
    request: Request, viewer: SignedIn, key: CommitmentKey, body: AdvanceIn
) -> CommitmentDetailOut:
    """Take an action: the commitment moves to the action's stage, or the error says why not."""
    web = web_of(request)
    installation = web.installation
    with web.transaction() as session:
        details.visible(session, key, viewer, Access.ADVANCE)
        workflow.advance(
            session,
            installation.catalogue,
            key=key,
            action=body.action,
            actor_email=viewer.email,
            fields=body.fields,
            comment=body.comment,
            now=web.now(),
            expected_version=body.expected_version,
            calendar=installation.calendar,
            effective_at=_aware(body.effective_at),
            max_days_back=installation.settings.backdate_max_days,
        )
    return detail_out(web, key, viewer)


def _aware(moment: datetime | None) -> datetime | None:
    """A moment given without a zone is Pakistan time; outside the calendar's years, refused."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PAKISTAN_TIME)
    return moments.accepted(moment)


@router.post(
    "/commitments/{key}/acknowledge",
    name="api_acknowledge",
    responses=_errors(400, 403, 404),
    **declared(Access.ANSWER),
)
def acknowledge(
    request: Request, viewer: SignedIn, key: CommitmentKey, body: AcknowledgeIn
) -> AcknowledgedOut:
    """Say you know of the stall and what is being done; the ladder stops climbing past you."""
    web = web_of(request)
    with web.transaction() as session:
        commitment = details.visible(session, key, viewer, Access.ANSWER)
        count = escalations.acknowledge(
            session, key=key, actor_email=viewer.email, reason=body.reason, now=web.now()
        )
        return AcknowledgedOut(key=commitment.key, escalations=count)


@router.post(
    "/commitments/{key}/snooze",
    name="api_snooze",
    responses=_errors(400, 403, 404),
    **declared(Access.ANSWER),
)
def snooze(
    request: Request, viewer: SignedIn, key: CommitmentKey, body: SnoozeIn
) -> CommitmentDetailOut:
    """Hold the commitment's escalations until a day (at most the pipeline's snooze limit)."""
    web = web_of(request)
    now = web.now()
    with web.transaction() as session:
        details.visible(session, key, viewer, Access.ANSWER)
        escalations.snooze(
            session,
            web.installation.catalogue,
            key=key,
            actor_email=viewer.email,
            until=body.until,
            reason=body.reason,
            now=now,
            today=local_day(now),
        )
    return detail_out(web, key, viewer)


@router.post(
    "/commitments/{key}/pause",
    name="api_pause",
    responses=_errors(400, 403, 404, 409),
    **declared(Access.ANSWER),
)
def pause(
    request: Request, viewer: SignedIn, key: CommitmentKey, body: PauseIn
) -> CommitmentDetailOut:
    """Stop the commitment's clocks (a court's stay, a prorogued assembly): while paused it is
    not due, escalated or reminded. A secretary or above over it; 400 if it is paused already."""
    web = web_of(request)
    with web.transaction() as session:
        details.visible(session, key, viewer, Access.ANSWER)
        pausing.pause(
            session,
            key=key,
            actor_email=viewer.email,
            reason=body.reason,
            until=body.until,
            now=web.now(),
        )
    return detail_out(web, key, viewer)


@router.post(
    "/commitments/{key}/resume",
    name="api_resume",
    responses=_errors(400, 403, 404, 409),
    **declared(Access.ANSWER),
)
def resume(
    request: Request, viewer: SignedIn, key: CommitmentKey, body: ResumeIn
) -> CommitmentDetailOut:
    """Start a paused commitment's clocks again: its due time moves on by the time it stood
    still. 400 if it is not paused."""
    web = web_of(request)
    installation = web.installation
    with web.transaction() as session:
        details.visible(session, key, viewer, Access.ANSWER)
        pausing.resume(
            session,
            installation.catalogue,
            installation.calendar,
            key=key,
            actor_email=viewer.email,
            now=web.now(),
        )
    return detail_out(web, key, viewer)


@router.get(
    "/digests/latest",
    name="api_latest_digest",
    tags=["digests"],
    responses=_errors(403, 404),
    **declared(Access.DIGEST),
)
def latest_digest(
    request: Request,
    viewer: Annotated[Viewer, Depends(api(Access.BOARD))],
    scope: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=f"^(federal|{'|'.join(PROVINCES)})$",
            description="federal or a province; default: the caller's own",
        ),
    ] = None,
) -> DigestOut:
    """The latest digest of stalled items for a scope (the chair's is `federal`)."""
    web = web_of(request)
    wanted = scope or viewer.jurisdiction.partition("/")[0]
    check(Access.DIGEST, viewer, jurisdiction=wanted, what=f"the digest of {wanted}")
    with web.reading() as session:
        digest = last_digest(session, scope=wanted, recipient_email=None, before=web.now())
        if digest is None:
            raise NotFoundError(
                f"no digest of {wanted} has been made yet; the digest flow makes them"
                " (taskforce digest)"
            )
        return DigestOut(
            id=digest.id,
            scope=digest.scope,
            recipient=digest.recipient_email,
            created_at=digest.created_at,
            content=content_of(digest),
        )
