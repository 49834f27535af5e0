"""Turning errors into answers: JSON with a code under /api, a page everywhere else.

No traceback ever reaches a user; an unexpected error is logged and answered 500
with a short message. What a request sent is echoed only in part: a field name or
a message is cut to a few hundred characters and at most MAX_PROBLEMS problems are
listed, so a 100 KB field name cannot come back as a 200 KB answer.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from states.errors import (
    AccessDeniedError,
    ConflictError,
    DatabaseUnavailableError,
    FieldError,
    NotFoundError,
    RoleNotAllowedError,
    StorageError,
    TaskforceError,
    TransitionError,
)
from taskforce.web import i18n, render
from taskforce.web.guard import SignInRequired

log = logging.getLogger("taskforce.web")
API_PREFIX = "/api/"

HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}

# How much of what a request sent an error answer may echo.
NAME_LIMIT = 100
PROBLEM_LIMIT = 300
MESSAGE_LIMIT = 1000
MAX_PROBLEMS = 20


def clip(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with a note of how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def clipped_problems(problems: dict[str, str]) -> dict[str, str]:
    """At most MAX_PROBLEMS of `problems`, each name and message cut short."""
    shown = {
        clip(name, NAME_LIMIT): clip(message, PROBLEM_LIMIT)
        for name, message in list(problems.items())[:MAX_PROBLEMS]
    }
    if len(problems) > MAX_PROBLEMS:
        shown["…"] = f"and {len(problems) - MAX_PROBLEMS} more problems"
    return shown


# How long a client should wait before asking again while the database is away.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_MESSAGE = "the database is unavailable for a moment; nothing was changed — try again"


def status_and_code(error: TaskforceError) -> tuple[int, str]:
    """The HTTP status and the stable error code for one of our errors."""
    if isinstance(error, AccessDeniedError | RoleNotAllowedError):
        return 403, "forbidden"
    if isinstance(error, NotFoundError):
        return 404, "not_found"
    if isinstance(error, ConflictError):
        return 409, "conflict"
    if isinstance(error, FieldError):
        return 422, "invalid_fields"
    if isinstance(error, TransitionError):
        return 422, "transition_refused"
    if isinstance(error, DatabaseUnavailableError):
        return 503, "unavailable"
    if isinstance(error, StorageError):
        return 500, "storage_error"
    return 400, "bad_request"


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": clip(message, MESSAGE_LIMIT), **extra}}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _page(request: Request, status: int, message: str) -> Response:
    return render.page(
        request,
        "error.html.j2",
        {"status": status, "message": clip(message, MESSAGE_LIMIT)},
        status=status,
    )


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, error: SignInRequired) -> Response:
        if _is_api(request):
            return JSONResponse(
                error_body("unauthorized", error.reason),
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(TaskforceError)
    async def taskforce_error(request: Request, error: TaskforceError) -> Response:
        status, code = status_and_code(error)
        message, headers = error.message, None
        if isinstance(error, DatabaseUnavailableError):
            # The operator's log names the database; the reader learns only to come back.
            log.warning("%s %s: %s", request.method, request.url.path, error.message)
            message, headers = UNAVAILABLE_MESSAGE, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        elif isinstance(error, StorageError):
            log.error("%s %s: %s", request.method, request.url.path, error.message)
        if _is_api(request):
            extra: dict[str, Any] = {}
            if isinstance(error, FieldError):
                extra["fields"] = clipped_problems(
                    error.problems or {name: error.message for name in error.fields}
                )
            return JSONResponse(
                error_body(code, message, **extra), status_code=status, headers=headers
            )
        if not isinstance(error, DatabaseUnavailableError):
            # A page says the engine's message in its own language; the API keeps the English.
            message = i18n.say(error.text, render.language_of(request))
        response = _page(request, status, message)
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = clipped_problems(
            {
                ".".join(str(part) for part in problem["loc"][1:]) or "body": str(problem["msg"])
                for problem in error.errors()
            }
        )
        message = "the request is not valid: " + "; ".join(
            f"{where}: {what}" for where, what in problems.items()
        )
        if _is_api(request):
            return JSONResponse(
                error_body("invalid_request", message, fields=problems), status_code=422
            )
        return _page(request, 400, message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        code = HTTP_CODES.get(error.status_code, "http_error")
        message = "no such page" if error.status_code == 404 else str(error.detail or code)
        if _is_api(request):
            return JSONResponse(
                error_body(code, message), status_code=error.status_code, headers=error.headers
            )
        return _page(request, error.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        message = "something went wrong on the server; it has been logged — try again later"
        if _is_api(request):
            return JSONResponse(error_body("internal_error", message), status_code=500)
        return _page(request, 500, message)
