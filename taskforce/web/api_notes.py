"""The API's remarks: `POST /api/v1/commitments/{key}/notes`, as JSON or, with files, multipart.

JSON: `{"text": ...}`. Multipart: a `text` part and any number of `attachments`
file parts. Either way the answer is the commitment as it stands, with the remark
(and its files' SHA-256) in its history; nothing else about it changes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from db import workflow
from states.access import Access
from states.errors import TaskforceError
from states.evidence import Upload
from states.text import COMMENT_MAX
from taskforce.web import details
from taskforce.web.api import PREFIX, CommitmentKey, SignedIn, _errors, detail_out
from taskforce.web.context import Web, web_of
from taskforce.web.guard import declared
from taskforce.web.schemas import CommitmentDetailOut
from taskforce.web.uploads import uploads_of
from taskforce.web.viewer import Viewer

router = APIRouter(prefix=PREFIX, tags=["commitments"], responses=_errors(401, 422))


class NoteIn(BaseModel):
    """A remark; it may be empty only when files come with it (multipart)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=COMMENT_MAX, description="the remark")


_MULTIPART_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "maxLength": COMMENT_MAX},
        "attachments": {"type": "array", "items": {"type": "string", "format": "binary"}},
    },
}
_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": NoteIn.model_json_schema()},
            "multipart/form-data": {"schema": _MULTIPART_SCHEMA},
        },
    }
}


def _note(web: Web, key: str, viewer: Viewer, text: str, uploads: list[Upload]) -> None:
    with web.transaction() as session:
        details.visible(session, key, viewer, Access.ITEM)
        workflow.note(
            session,
            key=key,
            actor_email=viewer.email,
            text=text,
            now=web.now(),
            attachments=uploads,
            policy=web.installation.settings.evidence_policy(),
        )


@router.post(
    "/commitments/{key}/notes",
    name="api_note",
    responses=_errors(400, 403, 404, 409),
    openapi_extra={**declared(Access.ITEM)["openapi_extra"], **_REQUEST_BODY},
)
async def add_note(request: Request, viewer: SignedIn, key: CommitmentKey) -> CommitmentDetailOut:
    """Add a remark (and files) to a commitment: it moves nothing and restarts no clock."""
    web = web_of(request)
    content_type = request.headers.get("content-type", "")
    uploads: list[Upload] = []
    if content_type.startswith("multipart/form-data"):
        limit = web.installation.settings.evidence_policy().max_bytes
        form = await request.form()
        value = form.get("text")
        raw: Any = {"text": value if isinstance(value, str) else ""}
        uploads = await run_in_threadpool(uploads_of, form, "attachments", limit=limit)
    elif content_type.startswith("application/json"):
        try:
            raw = await request.json()
        except ValueError:
            raise TaskforceError("the body is not valid JSON") from None
    else:
        raise TaskforceError(
            "send the remark as application/json, or multipart/form-data with files"
        )
    try:
        body = NoteIn.model_validate(raw)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None
    await run_in_threadpool(_note, web, key, viewer, body.text, uploads)
    return await run_in_threadpool(detail_out, web, key, viewer)
