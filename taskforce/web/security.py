"""Security headers on every response, and the CSRF check on every form post."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import Request
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from states.errors import AccessDeniedError
from taskforce.web.viewer import SESSION_CSRF

CSRF_FIELD = "csrf_token"

# No inline scripts or styles anywhere: every script and stylesheet is a file under /static.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders(BaseHTTPMiddleware):
    """Adds the headers above; pages that show people's data are never cached."""

    def __init__(self, app: object, *, https: bool) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.https = https

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if self.https:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class CsrfRefused(AccessDeniedError):
    """The form was not sent by this site's own page."""


async def verify_csrf(request: Request) -> None:
    """A dependency for every form post: the token in the form must match the session's.

    The Origin header, when the browser sends one, must be this site as well.
    """
    origin = request.headers.get("origin")
    if origin and origin != "null":
        sent_from = urlsplit(origin).netloc
        if sent_from != request.headers.get("host", ""):
            raise CsrfRefused(
                f"this form was sent from {origin}, not from this site; open the page here"
                " and send it again"
            )
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(SESSION_CSRF)
    if (
        not isinstance(sent, str)
        or not isinstance(expected, str)
        or not secrets.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfRefused(
            "this form has expired or was not sent from this site's own page; reload the"
            " page and send it again"
        )
