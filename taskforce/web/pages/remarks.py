"""Remarks on a commitment's page (with files attached), and the files served back.

A remark moves nothing, so the form sends no version: a remark is never refused
because the item moved while the page was open. Files are served only to people
who may see an item they are attached to; to anyone else a file does not exist.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from db import evidence, workflow
from states.access import Access, allows
from states.errors import CommentRequiredError, ConflictError, FieldError, NotFoundError
from states.message import Message
from taskforce.web import details, render
from taskforce.web.context import web_of
from taskforce.web.errors import clipped_problems
from taskforce.web.guard import declared, page
from taskforce.web.i18n import N_
from taskforce.web.pages.commitment import FLASH, Attempt, _show, form_of, problems_of
from taskforce.web.security import verify_csrf
from taskforce.web.uploads import uploads_of
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)

REMARK_NEEDED = N_("Write the remark, or attach a file.")
REMARK_RACED = N_("Someone else changed this item at the same moment; send the remark again.")
ACTION = "note"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@router.post(
    "/commitments/{key}/notes",
    name="commitment_note",
    dependencies=[Depends(verify_csrf)],
    **declared(Access.ITEM),
)
def add_note(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    form: Annotated[FormData, Depends(form_of)],
) -> Response:
    web = web_of(request)
    text_value = form.get("text")
    text = text_value if isinstance(text_value, str) else ""
    kept = Attempt(ACTION, {"text": text})
    policy = web.installation.settings.evidence_policy()
    uploads = uploads_of(form, "attachments", limit=policy.max_bytes)
    try:
        with web.transaction() as session:
            details.visible(session, key, viewer, Access.ITEM)
            noted = workflow.note(
                session,
                key=key,
                actor_email=viewer.email,
                text=text,
                now=web.now(),
                attachments=uploads,
                policy=policy,
            )
            target = f"/commitments/{noted.commitment.key}"
    except FieldError as error:
        problems = problems_of(error, render.language_of(request))
        return _show(
            request,
            viewer,
            key,
            status=422,
            attempt=Attempt(ACTION, kept.values, clipped_problems(problems)),
        )
    except CommentRequiredError:
        return _show(
            request,
            viewer,
            key,
            status=422,
            attempt=Attempt(ACTION, kept.values, {"text": REMARK_NEEDED}),
        )
    except ConflictError:
        return _show(
            request,
            viewer,
            key,
            status=409,
            attempt=Attempt(ACTION, kept.values, {"text": REMARK_RACED}),
        )
    request.session[FLASH] = {
        "text": N_("Remark added to {key}."),
        "values": {"key": target.rsplit("/", 1)[-1]},
    }
    return RedirectResponse(f"{target}#history-heading", status_code=303)


def content_disposition(name: str) -> str:
    """`attachment` with the name as given (RFC 6266), and a plain-ASCII fallback."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/evidence/{sha256}", name="evidence", **declared(Access.SIGNED_IN))
def download(
    request: Request,
    sha256: str,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
) -> Response:
    """A file kept as evidence, if the viewer may see an item it is attached to; else 404."""
    missing = NotFoundError(Message("no such file, or none that you may see"))
    if not _SHA256.match(sha256):
        raise missing
    web = web_of(request)
    with web.reading() as session:
        found = evidence.download(session, sha256)
    if found is None or not any(
        allows(Access.ITEM, viewer.actor, jurisdiction=place) for place in found.jurisdictions
    ):
        raise missing
    return Response(
        content=found.content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": content_disposition(found.name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
