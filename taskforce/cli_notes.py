"""The `note` command: a remark on a commitment, with files attached, that moves nothing."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from db import workflow
from db.engine import transaction
from states.definition import FieldKind, Pipeline
from states.errors import TaskforceError
from states.evidence import Upload
from taskforce.console import now as clock
from taskforce.console import opened, out


def read_attachments(
    paths: list[Path] | None, *, limit: int, option: str = "--attach"
) -> list[Upload]:
    """The files named on the command line, read before anything opens.

    A file far past the limit is not read whole: the check that names the limit
    gets its size from the first bytes past it.
    """
    uploads: list[Upload] = []
    for path in paths or ():
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                content = handle.read(limit + 1)
        except OSError as error:
            raise TaskforceError(f"{option} {path}: {error.strerror or error}") from None
        full = size if len(content) > limit else None
        uploads.append(Upload(name=path.name, content=content, full_size=full))
    return uploads


def file_fields(
    fields: Mapping[str, str], pipeline: Pipeline, *, limit: int
) -> tuple[dict[str, str], list[Upload]]:
    """`--field name=@FILE` for fields of kind file: the file is read and kept with the move,
    and the field's value is its SHA-256."""
    values: dict[str, str] = {}
    uploads: list[Upload] = []
    for name, value in fields.items():
        spec = pipeline.fields.get(name)
        if spec is None or spec.kind is not FieldKind.FILE or not value.startswith("@"):
            continue
        (upload,) = read_attachments([Path(value[1:])], limit=limit, option=f"--field {name}")
        uploads.append(upload)
        values[name] = hashlib.sha256(upload.content).hexdigest()
    return values, uploads


AttachOption = Annotated[
    list[Path] | None,
    typer.Option("--attach", help="A file to keep with it (PDF, image, Office); repeatable."),
]


def note(
    key: Annotated[str, typer.Argument(help="The commitment's key, e.g. CMB-PUNJAB.")],
    as_: Annotated[str, typer.Option("--as", help="Your email, as loaded from the meeting file.")],
    text: Annotated[str, typer.Option("--text", help="The remark, kept in the history.")] = "",
    attach: AttachOption = None,
) -> None:
    """Add a remark to a commitment: it records progress and moves nothing."""
    with opened() as application:
        policy = application.settings.evidence_policy()
        uploads = read_attachments(attach, limit=policy.max_bytes)
        if not text.strip() and not uploads:
            raise TaskforceError(f"{key.upper()}: say something with --text or attach a file")
        with transaction(application.sessions) as session:
            noted = workflow.note(
                session,
                key=key,
                actor_email=as_,
                text=text,
                now=clock(),
                attachments=uploads,
                policy=policy,
            )
            done = (
                f"{noted.commitment.key}: remark {noted.event.seq} added"
                f" by {noted.event.actor_email}"
            )
            files = ", ".join(f"{file.name} ({file.sha256[:12]})" for file in noted.attachments)
    out.print(done + (f"; files: {files}" if files else ""), markup=False, highlight=False)
