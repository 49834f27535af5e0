"""The web application: pages, the JSON API, sessions and security, wired together."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from db import instance
from states.access import Access
from taskforce.app import App, open_app
from taskforce.settings import Settings
from taskforce.web import api, api_notes, errors, render
from taskforce.web.context import STATIC, Web, system_clock
from taskforce.web.guard import ACCESS_KEY
from taskforce.web.pages import (
    attention,
    auth,
    board,
    commitment,
    digests,
    items,
    people,
    pipelines,
    preferences,
    remarks,
    sheet_import,
    sheets,
    working_paper,
)
from taskforce.web.security import SecurityHeaders
from taskforce.web.timing import TakenInTurn

SESSION_COOKIE = "taskforce_session"
SESSION_LIFETIME = timedelta(hours=12)
API_TITLE = "taskforce API"


def create_app(
    settings: Settings,
    *,
    installation: App | None = None,
    clock: Callable[[], datetime] = system_clock,
) -> FastAPI:
    """The application for `settings`; opens (and on SQLite, creates) the database.

    `installation` lets a caller that already opened the database share it;
    `clock` lets tests fix the time.
    """
    opened = installation or open_app(settings)
    web = Web(installation=opened, templates=render.templates(), clock=clock)
    with web.transaction() as session:
        signing_key = instance.secret(session, instance.SESSION_KEY, now=web.now())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if installation is None:
            opened.close()

    app = FastAPI(
        title=API_TITLE,
        version="1",
        description=(
            "Commitments of the task force: list and read them, advance them through their"
            " pipeline's stages, answer escalations, read digests. Authenticate with a bearer"
            " token made by `taskforce tokens create EMAIL`."
        ),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.web = web
    https = settings.base_url.startswith("https://")
    # Added last runs first: the session is read before any handler, headers set on the way out.
    app.add_middleware(
        SessionMiddleware,
        secret_key=signing_key,
        session_cookie=SESSION_COOKIE,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        same_site="lax",
        https_only=https,
    )
    app.add_middleware(SecurityHeaders, https=https)
    # Outermost: a request waits its turn before anything else is done for it.
    app.add_middleware(TakenInTurn, at_once=settings.web_requests_at_once)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(auth.router)
    app.include_router(items.router)
    app.include_router(attention.router)
    app.include_router(commitment.router)
    app.include_router(remarks.router)
    app.include_router(preferences.router)
    app.include_router(people.router)
    app.include_router(board.router)
    app.include_router(working_paper.router)
    app.include_router(sheets.router)
    app.include_router(sheet_import.router)
    app.include_router(digests.router)
    app.include_router(pipelines.router)
    app.include_router(api.router)
    app.include_router(api_notes.router)

    @app.get("/healthz", include_in_schema=False, openapi_extra={ACCESS_KEY: Access.PUBLIC.value})
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
