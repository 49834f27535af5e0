"""One commitment: its stages, clock, history and escalations, and the forms that move or answer it.

A refused form is shown again with each problem beside its input and the values
kept (422). A form sent from a page someone else has since changed is not
applied: the page comes back with what changed in between and fresh forms (409).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from db import escalations, evidence, pausing, workflow
from db.models import Commitment
from states import effective
from states.access import Access
from states.calendar import local_day
from states.catalogue import Catalogue
from states.definition import Ending, Pipeline, Transition
from states.errors import (
    CommentRequiredError,
    ConflictError,
    FieldError,
    NotFoundError,
    RoleNotAllowedError,
    TransitionError,
)
from states.evidence import Upload
from states.localtext import LocalText
from states.message import Message
from states.pausing import UNTIL, PauseRefusedError
from taskforce.web import details, render
from taskforce.web.context import web_of
from taskforce.web.details import Detail, Timing
from taskforce.web.errors import clipped_problems
from taskforce.web.guard import declared, page
from taskforce.web.i18n import N_, Nn_, say
from taskforce.web.pages.attention import back_to
from taskforce.web.pages.board import names
from taskforce.web.security import verify_csrf
from taskforce.web.uploads import file_fields, uploads_of
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)

# The notice shown once on the page after the redirect: its English "text" and "values";
# a notice with a count also has its "plural" text and the count "n", said in the form the
# page's language gives that count.
FLASH = "flash"
FIELD_PREFIX = "field."
REASON_LIMIT = 2000

COMMENT_NEEDED = N_("Explain this action in the comment: it is required.")
REASON_NEEDED = N_("Give a reason.")
DAY_NEEDED = N_("Give the day as YYYY-MM-DD, e.g. 2026-08-03.")


@dataclass(frozen=True)
class Step:
    """One stage in the row drawn at the top of the page."""

    key: str
    title: LocalText
    place: str
    """"done" (reached before), "current" or "ahead"."""


@dataclass(frozen=True)
class Attempt:
    """What the person sent, shown again with each problem beside its input."""

    action: str
    values: Mapping[str, str] = field(default_factory=dict)
    problems: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Child:
    commitment: Commitment
    stage_title: LocalText
    timing: Timing


@dataclass(frozen=True)
class Paused:
    """Why and since when an item's clocks stand still, as its page says it."""

    since: date
    until: date | None
    reason: str


def paused(detail: Detail) -> Paused | None:
    """The item's pause (the reason is the one given when it was last paused), or None."""
    item = detail.commitment
    if item.paused_at is None:
        return None
    event = next((e for e in reversed(detail.history) if e.kind == "paused"), None)
    return Paused(
        since=local_day(item.paused_at),
        until=item.paused_until,
        reason=(event.comment or "") if event is not None else "",
    )


def steps(pipeline: Pipeline, detail: Detail) -> list[Step]:
    """The pipeline's way to completion, with the stage the commitment is in marked.

    A stage that ends the commitment otherwise (withdrawn, lapsed) is shown only
    when the commitment is there.
    """
    current = detail.commitment.stage
    reached = {event.to_stage for event in detail.history}
    shown = [
        stage
        for stage in pipeline.stages
        if not stage.terminal or stage.outcome is Ending.COMPLETED or stage.key == current
    ]
    return [
        Step(
            key=stage.key,
            title=stage.title,
            place="current"
            if stage.key == current
            else ("done" if stage.key in reached else "ahead"),
        )
        for stage in shown
    ]


def _show(
    request: Request,
    viewer: Viewer,
    key: str,
    *,
    status: int = 200,
    attempt: Attempt | None = None,
    changed_after: int | None = None,
) -> Response:
    web = web_of(request)
    language = render.language_of(request)
    flash = request.session.pop(FLASH, None)
    with web.transaction() as session:
        found = details.detail(session, web.installation, key, viewer, web.now())
        changed = (
            details.events_after(session, found.commitment, changed_after)
            if changed_after is not None
            else None
        )
        children = [
            Child(
                commitment=child,
                stage_title=web.installation.catalogue.get(
                    child.pipeline_key, child.pipeline_version
                )
                .stage(child.stage)
                .title,
                timing=timing,
            )
            for child, timing in found.children
        ]
        pipeline = found.pipeline
        deadline = pausing.effective_deadline(found.commitment)
        stored = found.commitment.deadline
        context: dict[str, Any] = {
            "pause": paused(found),
            # The deadline in effect, and by how many days pauses moved it on.
            "deadline": deadline,
            "deadline_moved": (deadline - stored).days if deadline and stored else 0,
            "detail": found,
            "item": found.commitment,
            "steps": steps(pipeline, found),
            "children": children,
            # Shown in the page's language, as the history's sentences are made of them.
            "stage_titles": {s.key: s.title.in_(language) for s in pipeline.stages},
            "action_titles": {t.action: t.title.in_(language) for t in pipeline.transitions},
            "field_specs": pipeline.fields,
            "seen_seq": found.history[-1].seq if found.history else 0,
            "attempt": attempt,
            "changed": changed,
            "flash": flash if isinstance(flash, dict) else None,
            "today": local_day(web.now()),
            **names(language),
            "attachments": evidence.of_events(session, [event.id for event in found.history]),
        }
        return render.page(request, "commitment.html.j2", context, status=status)


async def form_of(request: Request) -> FormData:
    """The posted form, read once (the CSRF check has read it already)."""
    return await request.form()


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _number(form: FormData, name: str) -> int | None:
    value = _text(form, name).strip()
    return int(value) if value.isdigit() else None


@router.get("/commitments/{key}", name="commitment", **declared(Access.ITEM))
def commitment_page(
    request: Request, key: str, viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))]
) -> Response:
    return _show(request, viewer, key)


@router.post(
    "/commitments/{key}/advance",
    name="commitment_advance",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.ADVANCE),
)
def advance(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    form: Annotated[FormData, Depends(form_of)],
) -> Response:
    action = _text(form, "action")
    fields = {
        name.removeprefix(FIELD_PREFIX): _text(form, name)
        for name in form
        if name.startswith(FIELD_PREFIX)
    }
    comment = _text(form, "comment")
    day = _text(form, "effective_at").strip()
    kept = Attempt(action, {**fields, "comment": comment, "effective_at": day})
    web = web_of(request)
    language = render.language_of(request)
    policy = web.installation.settings.evidence_policy()
    given_files, uploads = file_fields(form, FIELD_PREFIX, limit=policy.max_bytes)
    fields.update(given_files)
    uploads += uploads_of(form, "attachments", limit=policy.max_bytes)
    try:
        effective_at = _effective(day, now=web.now())
    except ValueError:
        problem = {"effective_at": "must be a date written YYYY-MM-DD"}
        return _show(request, viewer, key, status=422, attempt=_with(kept, problem))
    try:
        with web.transaction() as session:
            details.visible(session, key, viewer, Access.ADVANCE)
            moved = workflow.advance(
                session,
                web.installation.catalogue,
                key=key,
                action=action,
                actor_email=viewer.email,
                fields=fields,
                comment=comment.strip() or None,
                now=web.now(),
                expected_version=_number(form, "expected_version"),
                calendar=web.installation.calendar,
                effective_at=effective_at,
                max_days_back=web.installation.settings.backdate_max_days,
                attachments=uploads,
                policy=policy,
            )
            _check_first(web.installation.catalogue, moved, action, form)
            pipeline = web.installation.catalogue.get(
                moved.commitment.pipeline_key, moved.commitment.pipeline_version
            )
            done = {
                "text": N_("Done: {action}. {key} is now in the stage {stage}."),
                "values": {
                    "action": next(t.title for t in pipeline.transitions if t.action == action)
                    .in_(language)
                    .marked,
                    "key": moved.commitment.key,
                    "stage": pipeline.stage(moved.commitment.stage).title.in_(language).marked,
                },
            }
            target = f"/commitments/{moved.commitment.key}"
    except CheckFirst as check:
        # Nothing was kept: the move is shown for checking, and taken only when confirmed.
        return _check_page(request, viewer, key, check, kept, form, uploads)
    except FieldError as error:
        # Cut short: an unknown field's name is the sender's, and may be 100 KB long.
        return _show(
            request,
            viewer,
            key,
            status=422,
            attempt=_with(kept, clipped_problems(problems_of(error, language))),
        )
    except CommentRequiredError:
        return _show(
            request, viewer, key, status=422, attempt=_with(kept, {"comment": COMMENT_NEEDED})
        )
    except ConflictError:
        # What the person typed stays in the form, beside what changed meanwhile.
        return _show(
            request,
            viewer,
            key,
            status=409,
            attempt=kept,
            changed_after=_number(form, "seen_seq") or 0,
        )
    request.session[FLASH] = done
    return RedirectResponse(target, status_code=303)


class CheckFirst(Exception):
    """Raised inside the move's transaction, which it rolls back, to check the move first."""

    def __init__(self, pipeline: Pipeline, transition: Transition, from_stage: str) -> None:
        super().__init__(transition.action)
        self.pipeline = pipeline
        self.transition = transition
        self.from_stage = from_stage


def _check_first(
    catalogue: Catalogue, moved: workflow.Advanced, action: str, form: FormData
) -> None:
    """Roll a consequential move back (raise) unless the person confirmed it on the check page."""
    if _text(form, "step") == "confirmed":
        return
    commitment = moved.commitment
    pipeline = catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
    transition = next(t for t in pipeline.transitions if t.action == action)
    if pipeline.needs_check(transition):
        raise CheckFirst(pipeline, transition, moved.event.from_stage or commitment.stage)


def _check_page(
    request: Request,
    viewer: Viewer,
    key: str,
    check: CheckFirst,
    kept: Attempt,
    form: FormData,
    uploads: list[Upload],
) -> Response:
    """ "Check your answers": what the move will do and what was typed; Change or Confirm."""
    if _text(form, "step") == "change":
        return _show(request, viewer, key, attempt=kept)
    web = web_of(request)
    pipeline = check.pipeline
    with web.transaction() as session:
        item = details.visible(session, key, viewer, Access.ADVANCE)
        context = {
            "item": item,
            "pipeline": pipeline,
            "transition": check.transition,
            "from_title": pipeline.stage(check.from_stage).title,
            "to_stage": pipeline.stage(check.transition.to),
            "ends_otherwise": pipeline.ends_otherwise(check.transition),
            "values": kept.values,
            "fields": [
                (name, pipeline.fields[name], value)
                for name, value in kept.values.items()
                if name in pipeline.fields and value.strip()
            ],
            "files": [upload.name for upload in uploads],
            "expected_version": _text(form, "expected_version"),
            "seen_seq": _text(form, "seen_seq"),
        }
        return render.page(request, "check.html.j2", context)


def _effective(day: str, *, now: datetime) -> datetime | None:
    """The form's "when it happened" date as a moment; blank or today means now."""
    if not day:
        return None
    when = date.fromisoformat(day)
    return None if when == local_day(now) else effective.start_of_day(when, now=now)


def problems_of(error: FieldError, language: str) -> dict[str, str]:
    """Each field's problem in the page's language, or the whole message beside each field."""
    if error.problems:
        return {name: say(problem, language) for name, problem in error.problems.items()}
    return {name: say(error.text, language) for name in error.fields}


def _with(attempt: Attempt, problems: Mapping[str, str]) -> Attempt:
    return Attempt(attempt.action, attempt.values, dict(problems))


@router.post(
    "/commitments/{key}/acknowledge",
    name="commitment_acknowledge",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.ANSWER),
)
def acknowledge(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    reason: Annotated[str, Form(max_length=REASON_LIMIT)] = "",
    back: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    kept = Attempt("acknowledge", {"reason": reason})
    web = web_of(request)
    try:
        with web.transaction() as session:
            item = details.visible(session, key, viewer, Access.ANSWER)
            count = escalations.acknowledge(
                session, key=key, actor_email=viewer.email, reason=reason, now=web.now()
            )
            target = f"/commitments/{item.key}"
    except CommentRequiredError:
        return _show(
            request, viewer, key, status=422, attempt=_with(kept, {"reason": REASON_NEEDED})
        )
    except NotFoundError as error:
        # Nothing left to acknowledge (someone else did it first): say so beside the form.
        said = say(error.text, render.language_of(request))
        return _show(request, viewer, key, status=409, attempt=_with(kept, {"reason": said}))
    one, many = Nn_(
        "Acknowledged: {n} open escalation of {key}.",
        "Acknowledged: {n} open escalations of {key}.",
    )
    request.session[FLASH] = {
        "text": one,
        "plural": many,
        "n": count,
        "values": {"key": target.rsplit("/", 1)[-1]},
    }
    return RedirectResponse(back_to(back, target.rsplit("/", 1)[-1]), status_code=303)


@router.post(
    "/commitments/{key}/snooze",
    name="commitment_snooze",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.ANSWER),
)
def snooze(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    until: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=REASON_LIMIT)] = "",
    days: Annotated[str, Form(max_length=10)] = "",
    back: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    kept = Attempt("snooze", {"reason": reason, "until": until})
    web = web_of(request)
    now = web.now()
    with web.transaction() as session:
        details.visible(session, key, viewer, Access.ANSWER)
    try:
        # "Needs you" asks for a number of days; the commitment page for the last day.
        day = (
            local_day(now) + timedelta(days=int(days))
            if days.strip().isdigit() and not until.strip()
            else date.fromisoformat(until.strip())
        )
    except (ValueError, OverflowError):
        problems = {"until": DAY_NEEDED}
        if not reason.strip():
            problems["reason"] = REASON_NEEDED
        return _show(request, viewer, key, status=422, attempt=_with(kept, problems))
    try:
        with web.transaction() as session:
            details.visible(session, key, viewer, Access.ANSWER)
            held = escalations.snooze(
                session,
                web.installation.catalogue,
                key=key,
                actor_email=viewer.email,
                until=day,
                reason=reason,
                now=now,
                today=local_day(now),
            )
            target = f"/commitments/{held.key}"
    except CommentRequiredError:
        return _show(
            request, viewer, key, status=422, attempt=_with(kept, {"reason": REASON_NEEDED})
        )
    except RoleNotAllowedError:
        raise
    except TransitionError as error:
        said = say(error.text, render.language_of(request))
        return _show(request, viewer, key, status=422, attempt=_with(kept, {"until": said}))
    request.session[FLASH] = {
        "text": N_("Escalations of {key} are held through {until}."),
        "values": {"key": target.rsplit("/", 1)[-1], "until": day.isoformat()},
    }
    return RedirectResponse(back_to(back, target.rsplit("/", 1)[-1]), status_code=303)


@router.post(
    "/commitments/{key}/pause",
    name="commitment_pause",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.ANSWER),
)
def pause(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    reason: Annotated[str, Form(max_length=REASON_LIMIT)] = "",
    until: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    kept = Attempt("pause", {"reason": reason, "until": until})
    web = web_of(request)
    try:
        last_day = date.fromisoformat(until.strip()) if until.strip() else None
    except ValueError:
        problems = {"until": DAY_NEEDED}
        if not reason.strip():
            problems["reason"] = REASON_NEEDED
        return _show(request, viewer, key, status=422, attempt=_with(kept, problems))
    try:
        with web.transaction() as session:
            item = details.visible(session, key, viewer, Access.ANSWER)
            pausing.pause(
                session,
                key=key,
                actor_email=viewer.email,
                reason=reason,
                until=last_day,
                now=web.now(),
            )
            target = item.key
    except PauseRefusedError as error:
        # Beside the field it is about: the last day, or else the reason.
        about = (
            UNTIL if isinstance(error.text, Message) and UNTIL in error.text.params else "reason"
        )
        said = say(error.text, render.language_of(request))
        return _show(request, viewer, key, status=422, attempt=_with(kept, {about: said}))
    request.session[FLASH] = (
        {
            "text": N_("The clocks of {key} are paused until {until}."),
            "values": {"key": target, "until": last_day.isoformat()},
        }
        if last_day is not None
        else {
            "text": N_("The clocks of {key} are paused until resumed."),
            "values": {"key": target},
        }
    )
    return RedirectResponse(f"/commitments/{target}", status_code=303)


@router.post(
    "/commitments/{key}/resume",
    name="commitment_resume",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.ANSWER),
)
def resume(
    request: Request, key: str, viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))]
) -> Response:
    web = web_of(request)
    installation = web.installation
    try:
        with web.transaction() as session:
            item = details.visible(session, key, viewer, Access.ANSWER)
            pausing.resume(
                session,
                installation.catalogue,
                installation.calendar,
                key=key,
                actor_email=viewer.email,
                now=web.now(),
            )
            target = item.key
    except PauseRefusedError as error:
        # Someone resumed it first: say so at the top of the page, as it now is.
        request.session[FLASH] = {
            "text": N_("Nothing was changed: {problem}"),
            "values": {"problem": say(error.text, render.language_of(request))},
            "error": True,
        }
        return RedirectResponse(f"/commitments/{key.upper()}", status_code=303)
    request.session[FLASH] = {
        "text": N_("The clocks of {key} run again; its due time moved on by the pause."),
        "values": {"key": target},
    }
    return RedirectResponse(f"/commitments/{target}", status_code=303)
