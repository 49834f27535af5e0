"""Evidence files: which kinds are accepted, how big, what a file is, and what it is called.

Pure: the content is given as bytes and nothing is read or written here. A file's
kind is decided from its first bytes (and, for the Office formats, the parts the
ZIP holds), never from the name or the type a browser claims, so a renamed
executable is not served back as a PDF.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from states.definition import FieldKind, FieldSpec
from states.errors import FieldError
from states.message import Message


class FileKind(StrEnum):
    """A kind of file the engine can keep as evidence."""

    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    DOCX = "docx"
    XLSX = "xlsx"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self]


MEDIA_TYPES: dict[FileKind, str] = {
    FileKind.PDF: "application/pdf",
    FileKind.PNG: "image/png",
    FileKind.JPEG: "image/jpeg",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
NAME_MAX = 200
# Control characters, the line and paragraph separators, the direction marks that
# make "fdp.exe" read as "exe.pdf", and what a header or a path would read as
# syntax: quotes, backslashes, slashes.
_UNSAFE_IN_NAME = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff\"\\/]"
)


@dataclass(frozen=True)
class EvidencePolicy:
    """What an installation accepts: a size limit and the allowed kinds (settings)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    kinds: frozenset[FileKind] = frozenset(FileKind)


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name its sender gave and its bytes."""

    name: str
    content: bytes
    full_size: int | None = None
    """The file's real size when only its first bytes were read (it is past the limit)."""

    @property
    def size(self) -> int:
        return len(self.content) if self.full_size is None else self.full_size


@dataclass(frozen=True)
class CheckedFile:
    """An accepted file: its clean name, kind, size and SHA-256 (hex)."""

    name: str
    kind: FileKind
    size: int
    sha256: str
    content: bytes

    @property
    def media_type(self) -> str:
        return self.kind.media_type


def sniff(content: bytes) -> FileKind | None:
    """The kind of file `content` is, from its magic bytes, or None if none we keep."""
    if content.startswith(b"%PDF-"):
        return FileKind.PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if content.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                parts = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" in parts:
            if "word/document.xml" in parts:
                return FileKind.DOCX
            if "xl/workbook.xml" in parts:
                return FileKind.XLSX
    return None


def clean_name(name: str) -> str:
    """`name` fit to store and to offer back: no folders, no control characters, not too long.

    "C:\\\\scans\\\\notification.pdf" becomes "notification.pdf"; a name with nothing
    left becomes "file".
    """
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFC", base)
    base = _UNSAFE_IN_NAME.sub("", base).strip().strip(".").strip()
    if len(base) > NAME_MAX:
        stem, dot, suffix = base.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            base = stem[: NAME_MAX - len(suffix) - 1] + "." + suffix
        else:
            base = base[:NAME_MAX]
    return base or "file"


def size_text(size: int) -> str:
    """A size as people read it: 812 bytes, 20.5 KB, 10.0 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def unattached(
    specs: Mapping[str, FieldSpec], given: Mapping[str, str], kept: Collection[str]
) -> dict[str, str]:
    """The `file` fields among `given` that name no file in `kept`, with the problem of each.

    A file field's value is the SHA-256 of a file attached with the same action, or
    of one already kept with the commitment (say, attached to an earlier remark).
    """
    problems: dict[str, str] = {}
    for name, value in given.items():
        spec = specs.get(name)
        wanted = value.strip().lower()
        if spec is not None and spec.kind is FieldKind.FILE and wanted and wanted not in kept:
            problems[name] = Message("must be a file attached with this action")
    return problems


def check(
    uploads: Iterable[Upload], policy: EvidencePolicy, *, key: str, stage: str, action: str
) -> tuple[CheckedFile, ...]:
    """Every upload checked against `policy`, or a FieldError naming the file and the limit."""
    checked: list[CheckedFile] = []
    allowed = ", ".join(kind.value.upper() for kind in FileKind if kind in policy.kinds)
    for upload in uploads:
        name = clean_name(upload.name)
        problem: str | None = None
        kind = sniff(upload.content)
        if not upload.content:
            problem = Message("the file {name} is empty", name=name)
        elif upload.size > policy.max_bytes:
            problem = Message(
                "the file {name} is {size}; the limit is {limit}",
                name=name,
                size=size_text(upload.size),
                limit=size_text(policy.max_bytes),
            )
        elif kind is None or kind not in policy.kinds:
            problem = Message(
                "the file {name} is not an accepted kind of file; accepted: {allowed}",
                name=name,
                allowed=allowed,
            )
        if problem is not None or kind is None:
            raise FieldError(
                Message("Can't attach to {key}: {problem}", key=key, problem=problem),
                key=key,
                stage=stage,
                action=action,
                fields=["attachments"],
                problems={"attachments": problem or ""},
            )
        checked.append(
            CheckedFile(
                name=name,
                kind=kind,
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                content=upload.content,
            )
        )
    return tuple(checked)
