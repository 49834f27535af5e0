"""Signing in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from db import accounts, people
from states.access import Access
from taskforce.web import render
from taskforce.web import viewer as viewers
from taskforce.web.context import web_of
from taskforce.web.guard import declared, optional_page_viewer, page
from taskforce.web.i18n import LANGUAGES, N_
from taskforce.web.security import verify_csrf
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)

SIGN_IN_REFUSED = N_(
    "That email and password do not match an account that may sign in, or the account is"
    " locked for a while after too many failed attempts. Try again later, or ask an"
    " administrator to set a new password."
)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never a redirect to somewhere else."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/sign-in", name="sign_in_form", **declared(Access.PUBLIC))
def sign_in_form(
    request: Request,
    viewer: Annotated[Viewer | None, Depends(optional_page_viewer)],
    next: str | None = None,
) -> Response:
    if viewer is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render.page(request, "sign_in.html.j2", {"next": safe_next(next), "error": None})


@router.post(
    "/sign-in",
    name="sign_in",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.PUBLIC),
)
def sign_in(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    web = web_of(request)
    now = web.now()
    with web.transaction() as session:
        attempt = accounts.sign_in(session, email, password, now=now)
        if attempt.person is not None:
            # A language chosen on the sign-in page is the one the person wants to read.
            chosen = request.session.get(viewers.SESSION_LANGUAGE)
            if chosen in LANGUAGES:
                people.set_page_language(session, attempt.person.email, chosen)
            viewers.start_session(request, attempt.person)
            return RedirectResponse(safe_next(next), status_code=303)
    # One answer for every failure: whether the account exists, or is locked, is not told.
    return render.page(
        request,
        "sign_in.html.j2",
        {"next": safe_next(next), "error": SIGN_IN_REFUSED, "email": email},
        status=400,
    )


@router.post(
    "/sign-out",
    name="sign_out",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.SIGNED_IN),
)
def sign_out(
    request: Request, viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))]
) -> Response:
    with web_of(request).transaction() as session:
        viewers.end_session(request, session, viewer)
    return RedirectResponse("/sign-in", status_code=303)
