"""The administrator's page of people: who is active, what each holds; deactivate, hand over,
reassign. Each form calls the same function as the command line (db/handover.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from db import handover, people
from states.access import Access
from states.text import COMMENT_MAX, EMAIL_MAX, KEY_MAX
from taskforce.web import render
from taskforce.web.context import web_of
from taskforce.web.guard import declared, page
from taskforce.web.security import verify_csrf
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)
Manager = Annotated[Viewer, Depends(page(Access.PEOPLE))]
EmailForm = Annotated[str, Form(min_length=3, max_length=EMAIL_MAX)]
ReasonForm = Annotated[str, Form(max_length=COMMENT_MAX)]
Done = Literal["deactivated", "handed_over", "reassigned"]


def _back(done: str, count: int = 1) -> Response:
    return RedirectResponse(f"/admin/people?done={done}&count={count}", status_code=303)


@router.get("/admin/people", name="admin_people", **declared(Access.PEOPLE))
def people_page(
    request: Request,
    viewer: Manager,
    done: Annotated[Done | None, Query()] = None,
    count: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    web = web_of(request)
    with web.reading() as session:
        holding = handover.open_items(session)
        rows = [(person, holding.get(person.id, [])) for person in people.all_people(session)]
    waiting = sum(len(items) for person, items in rows if not person.active)
    return render.page(
        request,
        "admin_people.html.j2",
        {"rows": rows, "done": done, "count": count, "waiting": waiting},
    )


@router.post(
    "/admin/people/deactivate",
    name="admin_deactivate",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.PEOPLE),
)
def deactivate(
    request: Request, viewer: Manager, email: EmailForm, reason: ReasonForm = ""
) -> Response:
    web = web_of(request)
    with web.transaction() as session:
        handover.deactivate_person(
            session, actor_email=viewer.email, email=email, reason=reason, now=web.now()
        )
    return _back("deactivated")


@router.post(
    "/admin/people/handover",
    name="admin_handover",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.PEOPLE),
)
def hand_over(
    request: Request,
    viewer: Manager,
    from_email: EmailForm,
    to_email: EmailForm,
    reason: ReasonForm = "",
) -> Response:
    web = web_of(request)
    with web.transaction() as session:
        moved = handover.handover(
            session,
            from_email=from_email,
            to_email=to_email,
            actor_email=viewer.email,
            reason=reason,
            now=web.now(),
        )
    return _back("handed_over", len(moved))


@router.post(
    "/admin/people/reassign",
    name="admin_reassign",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.PEOPLE),
)
def reassign(
    request: Request,
    viewer: Manager,
    key: Annotated[str, Form(min_length=1, max_length=KEY_MAX)],
    to_email: EmailForm,
    reason: ReasonForm = "",
) -> Response:
    web = web_of(request)
    with web.transaction() as session:
        handover.reassign(
            session,
            key=key,
            to_email=to_email,
            actor_email=viewer.email,
            reason=reason,
            now=web.now(),
        )
    return _back("reassigned")
