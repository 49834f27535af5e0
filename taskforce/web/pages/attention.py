""" "Needs you": the first page of secretaries and above, and the answers given from it.

What is listed, in what order, and whether it is handled come from `db.attention`
and `states.attention`; acknowledging and snoozing post to the commitment's own forms
(which come back here), exempting and nudging have their routes here. Every form is
answered with a redirect (303) when it is done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from db import attention, escalations
from states.access import Access
from states.attention import same_visit
from states.calendar import local_day
from states.errors import CommentRequiredError, FieldError
from states.paging import (
    CURSOR_MAX,
    NEEDS_PAGE_SIZE,
    PAGE_SIZE_MAX,
    Order,
    page_size,
    read_cursor,
)
from taskforce.web import details, render
from taskforce.web.context import web_of
from taskforce.web.guard import declared, page
from taskforce.web.i18n import N_, say
from taskforce.web.paging import paging_links
from taskforce.web.security import verify_csrf
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)

FLASH = "flash"
SINCE = "needs_you_since"  # the session key: the last visit the first page found
PATH = "/needs-you"
REASON_LIMIT = 2000


def back_to(target: str, key: str) -> str:
    """Where a form sent from "Needs you" or the commitment page returns: never elsewhere."""
    return PATH if target == PATH else f"/commitments/{key}"


@router.get(PATH, name="needs_you", **declared(Access.BOARD))
def needs_you(
    request: Request,
    viewer: Annotated[Viewer, Depends(page(Access.BOARD))],
    after: Annotated[str | None, Query(max_length=CURSOR_MAX)] = None,
    size: Annotated[int | None, Query(ge=1, le=PAGE_SIZE_MAX)] = None,
) -> Response:
    position = read_cursor(after, Order.NEEDS, name="after") if after else None
    web = web_of(request)
    now = web.now()
    flash = request.session.pop(FLASH, None)
    # The visit is recorded in a short transaction of its own, so the person's row is not
    # held while the page is built; the page is read like every other list.
    with web.transaction() as session:
        since = _since(request, session, viewer, now, first=position is None)
    with web.reading() as session:
        found = attention.needs(
            session,
            web.installation.catalogue,
            web.installation.calendar,
            viewer.actor,
            now=now,
            today=local_day(now),
            since=since,
            after=position,
            limit=page_size(size, default=NEEDS_PAGE_SIZE),
        )
        return render.page(
            request,
            "needs_you.html.j2",
            {
                "needs": found.needs,
                "counts": found,
                "pages": paging_links(PATH, {}, size, after, found.next),
                "since": since,
                "flash": flash if isinstance(flash, dict) else None,
                "today": local_day(now),
                "back": PATH,
            },
        )


def _since(
    request: Request, session: Session, viewer: Viewer, now: datetime, *, first: bool
) -> datetime | None:
    """When the viewer last looked before this visit. The first page records the visit;
    the pages after it keep the time the first page found, so their changes still show."""
    kept = request.session.get(SINCE)
    if first and not (
        isinstance(kept, str)
        and same_visit(attention.last_visit(session, viewer.person_id), now=now)
    ):
        since = attention.visit(session, viewer.person_id, now=now)
        request.session[SINCE] = since.isoformat() if since is not None else ""
        return since
    # The next pages of a visit, or the same visit opened again: what changed since the
    # visit before it stays marked, and nothing is written.
    return datetime.fromisoformat(kept) if isinstance(kept, str) and kept else None


@router.post(
    "/commitments/{key}/nudge",
    name="commitment_nudge",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.ANSWER),
)
def nudge(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    expected_version: Annotated[str, Form(max_length=20)] = "",
    back: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Remind whoever must act; a second nudge the same day sends nothing more."""
    web = web_of(request)
    now = web.now()
    with web.transaction() as session:
        item = details.visible(session, key, viewer, Access.ANSWER)
        if expected_version.strip() != str(item.version):
            # The form was made from an older page: nothing is sent, the page is shown again.
            request.session[FLASH] = {
                "text": N_("{key} changed since you opened the page; nothing was sent."),
                "values": {"key": item.key},
            }
            return RedirectResponse(back_to(back, item.key), status_code=303)
        done = escalations.nudge(
            session,
            web.installation.catalogue,
            key=item.key,
            actor_email=viewer.email,
            now=now,
            today=local_day(now),
        )
    request.session[FLASH] = {
        "text": N_("Reminder sent to {to} about {key}.")
        if done.sent
        else N_("{to} was already reminded about {key} today; nothing more was sent."),
        "values": {"to": done.to, "key": done.commitment.key},
    }
    return RedirectResponse(back_to(back, done.commitment.key), status_code=303)


@router.post(
    "/commitments/{key}/exempt",
    name="commitment_exempt",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.ANSWER),
)
def exempt(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    reason: Annotated[str, Form(max_length=REASON_LIMIT)] = "",
    back: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """The chair takes the item off the ladder: the same rule as the command line's."""
    web = web_of(request)
    try:
        with web.transaction() as session:
            item = details.visible(session, key, viewer, Access.ANSWER)
            escalations.exempt(
                session, key=item.key, actor_email=viewer.email, reason=reason, now=web.now()
            )
            target = item.key
    except (CommentRequiredError, FieldError) as error:
        request.session[FLASH] = {
            "text": N_("Nothing was changed: {problem}"),
            "values": {"problem": say(error.text, render.language_of(request))},
            "error": True,
        }
        return RedirectResponse(back_to(back, key), status_code=303)
    request.session[FLASH] = {
        "text": N_("{key} is exempt from escalation."),
        "values": {"key": target},
    }
    return RedirectResponse(back_to(back, target), status_code=303)
