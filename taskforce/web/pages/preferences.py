"""A signed-in person's preferences: the language of the pages, and apart from it of their mail.

The switch in every page's header changes the pages only. Mail follows the
person's own language (set in the people file, or here), so a chief secretary
may read the pages in Urdu and forward English mail, or the other way round.
A visitor may choose the sign-in page's language before signing in; that choice
becomes their pages' language when they sign in.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from db import people
from states.access import Access
from taskforce.web import render
from taskforce.web.context import web_of
from taskforce.web.guard import declared, page
from taskforce.web.pages.auth import safe_next
from taskforce.web.security import verify_csrf
from taskforce.web.viewer import SESSION_LANGUAGE, Viewer

router = APIRouter(include_in_schema=False)

Language = Literal["en", "ur"]
# Set by POST /preferences, shown once by GET /preferences.
SAVED = "preferences_saved"


@router.post(
    "/preferences/language",
    name="set_language",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.SIGNED_IN),
)
def set_language(
    request: Request,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    language: Annotated[Language, Form()],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The header's switch: the pages' language, not the mail's."""
    web = web_of(request)
    with web.transaction() as session:
        people.set_page_language(session, viewer.email, language)
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/preferences", name="preferences", **declared(Access.SIGNED_IN))
def preferences(
    request: Request, viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))]
) -> Response:
    saved = bool(request.session.pop(SAVED, False))
    return render.page(request, "preferences.html.j2", {"saved": saved})


@router.post(
    "/preferences",
    name="save_preferences",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.SIGNED_IN),
)
def save_preferences(
    request: Request,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    page_language: Annotated[Language, Form()],
    mail_language: Annotated[Language, Form()],
) -> Response:
    web = web_of(request)
    with web.transaction() as session:
        people.set_page_language(session, viewer.email, page_language)
        people.set_mail_language(session, viewer.email, mail_language)
    request.session[SAVED] = True
    return RedirectResponse("/preferences", status_code=303)


@router.post(
    "/sign-in/language",
    name="sign_in_language",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.PUBLIC),
)
def sign_in_language(
    request: Request,
    language: Annotated[Language, Form()],
    next: Annotated[str, Form(max_length=2000)] = "/sign-in",
) -> Response:
    """A visitor's choice of language, before anyone knows who they are."""
    request.session[SESSION_LANGUAGE] = language
    return RedirectResponse(safe_next(next), status_code=303)
