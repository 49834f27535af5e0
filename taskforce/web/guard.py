"""Every route states its `Access`; these dependencies enforce it on the server.

Pages send a person who is not signed in to the sign-in page; the API answers 401.
A signed-in person without the access gets 403 from both. Item-scoped access
(ITEM, ADVANCE, ANSWER, DIGEST) is checked by the handler once it has loaded the
item, with `check`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from db import tokens
from states.access import Access, allows
from states.departments import refusal
from states.errors import AccessDeniedError
from states.message import Message, place
from taskforce.web import viewer as viewers
from taskforce.web.context import web_of
from taskforce.web.viewer import Viewer

ACCESS_KEY = "x-access"


class SignInRequired(Exception):
    """No one is signed in (pages: go to the sign-in page; API: 401)."""

    def __init__(self, reason: str = "sign in to continue") -> None:
        super().__init__(reason)
        self.reason = reason


def declared(access: Access) -> dict[str, Any]:
    """Route keyword arguments that record the route's access where tests and OpenAPI see it."""
    return {"openapi_extra": {ACCESS_KEY: access.value}}


def check(
    access: Access, viewer: Viewer, *, jurisdiction: str, what: str, department: str = ""
) -> None:
    """Refuse with 403 unless `viewer` has `access` to something of `jurisdiction`."""
    if allows(access, viewer.actor, jurisdiction=jurisdiction, department=department):
        return
    if access is Access.ANSWER and allows(Access.ANSWER, viewer.actor, jurisdiction=jurisdiction):
        raise AccessDeniedError(
            Message(
                "can't answer the escalations of {what}: {problem}",
                what=what,
                problem=refusal(viewer.actor, department),
            )
        )
    if access is Access.ANSWER and allows(Access.ITEM, viewer.actor, jurisdiction=jurisdiction):
        raise AccessDeniedError(
            Message(
                "only a deputy commissioner, secretary, chief secretary, the federal secretary or"
                " the chair may answer the escalations of {what}; {email} is {role}",
                what=what,
                email=viewer.email,
                role=viewer.role,
            )
        )
    raise AccessDeniedError(
        Message(
            "{email} ({role}, {own}) may not see {what}, which belongs to {jurisdiction}",
            email=viewer.email,
            role=viewer.role,
            own=place(viewer.jurisdiction),
            what=what,
            jurisdiction=place(jurisdiction),
        )
    )


def _require(access: Access, viewer: Viewer) -> Viewer:
    if access is Access.PEOPLE and not allows(access, viewer.actor):
        raise AccessDeniedError(
            Message(
                "this page is for the administrator and the chair; {email} is {role}",
                email=viewer.email,
                role=viewer.role,
            )
        )
    if access in (Access.SIGNED_IN, Access.BOARD) and not allows(access, viewer.actor):
        raise AccessDeniedError(
            Message(
                "this page is for secretaries, chief secretaries, the federal secretary and the"
                " chair; {email} is {role}",
                email=viewer.email,
                role=viewer.role,
            )
        )
    return viewer


def page(access: Access) -> Callable[[Request], Viewer]:
    """A dependency: the browser's signed-in person, holding `access`."""

    def dependency(request: Request) -> Viewer:
        web = web_of(request)
        with web.reading() as session:
            found = viewers.from_session(request, session)
        if found is None:
            raise SignInRequired()
        request.state.viewer = found
        return _require(access, found)

    return dependency


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A token made by `taskforce tokens create EMAIL`; the API acts as that person.",
)


def api(access: Access) -> Callable[..., Viewer]:
    """A dependency: the holder of the request's bearer token, holding `access`."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Viewer:
        web = web_of(request)
        found = None
        if credentials is not None and credentials.credentials.strip():
            now = web.now()
            with web.reading() as session:
                row = tokens.live_token(session, credentials.credentials.strip())
                found = Viewer.of(row.person) if row else None
            if row is not None and tokens.needs_touch(row, now):
                with web.transaction() as session:
                    tokens.touch(session, row.id, now=now)
        if found is None:
            raise SignInRequired("send a valid API token: Authorization: Bearer TOKEN")
        request.state.viewer = found
        return _require(access, found)

    return dependency


def optional_page_viewer(request: Request) -> Viewer | None:
    """The signed-in person, or None: for pages anyone may open (sign-in)."""
    web = web_of(request)
    with web.reading() as session:
        found = viewers.from_session(request, session)
    request.state.viewer = found
    return found
