"""Rendering pages: every template gets the viewer, the translator and the CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from taskforce.web import i18n
from taskforce.web.context import web_of
from taskforce.web.security import CSRF_FIELD
from taskforce.web.viewer import Viewer, csrf_token


def language_of(request: Request) -> str:
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    if viewer is not None:
        return viewer.language
    chosen = request.session.get("language")
    return chosen if chosen in i18n.LANGUAGES else "en"


def page(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> Response:
    """Render `template` with the shared context."""
    web = web_of(request)
    language = language_of(request)
    shared = {
        "viewer": getattr(request.state, "viewer", None),
        "t": i18n.translator(language),
        "language": language,
        "direction": i18n.direction(language),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "now": web.now(),
    }
    return web.templates.TemplateResponse(
        request, template, {**shared, **context}, status_code=status
    )
