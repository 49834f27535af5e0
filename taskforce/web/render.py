"""Rendering pages: every template gets the viewer, the translator and the CSRF token.

Every page template is HTML, so the environment escapes every value by construction
(`autoescape=True`), whatever a template's file name and whatever the installed
Starlette would choose: its default, `select_autoescape()`, does not count `.j2`
as HTML. Markup that is meant as markup (the inline SVG charts) is wrapped in
`Markup` by the handler that made it, after escaping its own text.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from starlette.responses import Response

from states import localtext
from taskforce.web import filters, i18n
from taskforce.web.context import TEMPLATES, web_of
from taskforce.web.security import CSRF_FIELD
from taskforce.web.viewer import SESSION_LANGUAGE, Viewer, csrf_token


@cache
def environment(directory: Path = TEMPLATES) -> Environment:
    """The pages' Jinja environment: every template autoescaped, the shared filters installed.

    One per process and folder, shared by every app made in it: a template is compiled
    once (about 30 ms each), and the environment holds nothing of one app or request.
    """
    env = Environment(loader=FileSystemLoader(directory), autoescape=True, finalize=_in_language)
    filters.install(env)
    return env


@pass_context
def _in_language(context: Context, value: Any) -> Any:
    """Every printed title in the page's language, untranslated ones marked as English."""
    return localtext.shown(value, context.get("language", "en"), markup=True)


def templates(directory: Path = TEMPLATES) -> Jinja2Templates:
    """The page templates, on the environment above (never Starlette's default one)."""
    return Jinja2Templates(env=environment(directory))


def language_of(request: Request) -> str:
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    if viewer is not None:
        return viewer.language
    chosen = request.session.get(SESSION_LANGUAGE)
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
    with filters.page_language(language):
        return web.templates.TemplateResponse(
            request, template, {**shared, **context}, status_code=status
        )
