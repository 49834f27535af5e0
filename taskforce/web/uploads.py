"""Files posted in a form (pages) or a multipart request (API), read as uploads to check."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from states.evidence import Upload


def uploads_of(form: FormData, name: str, *, limit: int) -> list[Upload]:
    """The files posted under `name`, each read no further than one byte past `limit`.

    Every file of the form is closed once read: the bytes are what is kept.
    """
    found: list[Upload] = []
    try:
        for value in form.getlist(name):
            if not isinstance(value, UploadFile) or (not value.filename and not value.size):
                continue  # an empty file input sends a part with no name and no bytes
            content = value.file.read(limit + 1)
            full = value.size if len(content) > limit else None
            found.append(Upload(name=value.filename or "file", content=content, full_size=full))
    finally:
        close_files(form)
    return found


async def closing_form(request: Request) -> AsyncIterator[FormData]:
    """A dependency, listed before the CSRF check: the posted form, whose files are closed
    once the request is answered, even when the sender is refused before the handler
    reads them (not signed in, the wrong role)."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


def close_files(form: FormData) -> None:
    """Close the temporary files of every file part of `form`."""
    for _, value in form.multi_items():
        if isinstance(value, UploadFile):
            value.file.close()


def file_fields(form: FormData, prefix: str, *, limit: int) -> tuple[dict[str, str], list[Upload]]:
    """Fields of kind `file` posted as files (`prefix` + name): each value is the file's
    SHA-256, and the file is to be kept with the move. Read before `uploads_of`, which
    closes every file of the form."""
    values: dict[str, str] = {}
    found: list[Upload] = []
    for name, value in form.multi_items():
        if not name.startswith(prefix) or not isinstance(value, UploadFile):
            continue
        if not value.filename and not value.size:
            continue
        content = value.file.read(limit + 1)
        full = value.size if len(content) > limit else None
        found.append(Upload(name=value.filename or "file", content=content, full_size=full))
        values[name.removeprefix(prefix)] = hashlib.sha256(content).hexdigest()
    return values, found
