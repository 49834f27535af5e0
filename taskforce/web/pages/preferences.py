"""A signed-in person's preferences: the language of the pages (and of their mail)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from db import people
from states.access import Access
from taskforce.web.context import web_of
from taskforce.web.guard import declared, page
from taskforce.web.pages.auth import safe_next
from taskforce.web.security import verify_csrf
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)


@router.post(
    "/preferences/language",
    name="set_language",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.SIGNED_IN),
)
def set_language(
    request: Request,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    language: Annotated[Literal["en", "ur"], Form()],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    web = web_of(request)
    with web.transaction() as session:
        people.set_language(session, viewer.email, language)
    return RedirectResponse(safe_next(next), status_code=303)
