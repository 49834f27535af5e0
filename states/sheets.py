"""The province's sheet: its columns, and its filled rows read into requests or row errors.

A sheet lists the open commitments of a scope with each one's `version` when the
sheet was made. A person fills, per row, a new stage (the action to take), a
remark and the date it happened. Pure: cell values in, typed requests out; whether
an action is possible, or the person allowed, is decided when the requests are
applied, by the same rule as any other move. A sheet sent over the web is checked
first (`check_file`): its size and kind as evidence is, and what it unpacks to.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from states.errors import TaskforceError
from states.evidence import FileKind, Upload, clean_name, size_text, sniff
from states.message import Message

KEY = "key"
TITLE = "title"
DEPARTMENT = "department"
OFFICER = "officer"
STAGE = "current stage"
VERSION = "version"
NEEDS = "what each action needs"
ACTION = "new stage / action"
VALUES = "values (name=value; ...)"
REMARK = "remark"
HAPPENED_ON = "date it happened"

READ_ONLY = (KEY, TITLE, DEPARTMENT, OFFICER, STAGE, VERSION, NEEDS)
TO_FILL = (ACTION, VALUES, REMARK, HAPPENED_ON)
COLUMNS = (*READ_ONLY, *TO_FILL)
# What the reader cannot do without: the rest is there for the person filling it.
NEEDED = (KEY, VERSION, ACTION, REMARK, HAPPENED_ON)
# What a sheet may unpack to. A sheet of a province's open commitments is a few hundred
# kilobytes of XML; a small file that claims to unpack to more is refused unread.
UNPACKED_MAX_BYTES = 64 * 1024 * 1024


class SheetFileError(TaskforceError):
    """The file cannot be read as a sheet: start from the sheet downloaded from the board."""


class SheetTooLargeError(SheetFileError):
    """The file is larger than the limit for files sent in."""


@dataclass(frozen=True)
class RowRequest:
    """One filled row: take `action` (when given) and/or record `remark`, on `key`."""

    row: int
    key: str
    version: int
    action: str | None
    remark: str | None
    happened_on: date | None
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RowProblem:
    """A row that cannot be applied, and why, in words for the person who filled it."""

    row: int
    key: str | None
    reason: str


@dataclass(frozen=True)
class ParsedSheet:
    """The sheet's filled rows as requests, and the rows that are wrong."""

    requests: tuple[RowRequest, ...]
    problems: tuple[RowProblem, ...]
    unchanged: int


def check_file(upload: Upload, *, max_bytes: int) -> str:
    """The clean name of an uploaded sheet that may be read, or the SheetFileError saying why not.

    The same limits as evidence (size, kind decided from the content), and the sizes the
    workbook's parts claim to unpack to, before anything parses it.
    """
    name = clean_name(upload.name)
    if not upload.content:
        raise SheetFileError(f"the file {name} is empty")
    if upload.size > max_bytes:
        raise SheetTooLargeError(
            f"the file {name} is {size_text(upload.size)}; the limit is {size_text(max_bytes)}"
        )
    if sniff(upload.content) is not FileKind.XLSX:
        raise SheetFileError(
            f"the file {name} is not an XLSX workbook; send the sheet downloaded from the"
            " board, filled in and saved as XLSX"
        )
    with zipfile.ZipFile(io.BytesIO(upload.content)) as archive:
        unpacked = sum(part.file_size for part in archive.infolist())
    if unpacked > UNPACKED_MAX_BYTES:
        raise SheetTooLargeError(
            f"the file {name} unpacks to {size_text(unpacked)}; a sheet may unpack to at most"
            f" {size_text(UNPACKED_MAX_BYTES)}"
        )
    return name


def missing_columns(headers: Sequence[object]) -> list[str]:
    """The columns the reader needs that the header row lacks."""
    present = {_text(header).lower() for header in headers}
    return [name for name in NEEDED if name not in present]


def parse(rows: Sequence[tuple[int, Mapping[str, object]]]) -> ParsedSheet:
    """Each (row number, cells by column name) as a request, a problem, or unchanged.

    A row with no action, no remark and no date is unchanged and skipped. A key
    given twice is a problem on its second row: one row says what happened to one
    commitment.
    """
    requests: list[RowRequest] = []
    problems: list[RowProblem] = []
    unchanged = 0
    seen: dict[str, int] = {}
    for number, cells in rows:
        action = _text(cells.get(ACTION)) or None
        remark = _text(cells.get(REMARK)) or None
        raw_date = cells.get(HAPPENED_ON)
        key = _text(cells.get(KEY)).upper() or None
        if action is None and remark is None and _blank(raw_date):
            unchanged += 1
            continue

        def problem(reason: str, *, number: int = number, key: str | None = key) -> None:
            problems.append(RowProblem(row=number, key=key, reason=reason))

        if key is None:
            problem(Message("the key is empty"))
            continue
        if key in seen:
            problem(Message("{key} is already on row {row}", key=key, row=seen[key]))
            continue
        seen[key] = number
        version = _version(cells.get(VERSION))
        if version is None:
            problem(
                Message(
                    "the version {version!r} is not a whole number",
                    version=_text(cells.get(VERSION)),
                )
            )
            continue
        happened_on = _day(raw_date)
        if happened_on is None and not _blank(raw_date):
            problem(
                Message(
                    "the date {day!r} is not a date (write it as 2026-11-20)", day=_text(raw_date)
                )
            )
            continue
        if action is None and remark is None:
            problem(Message("a date alone says nothing: choose a new stage or write a remark"))
            continue
        values, bad = _values(cells.get(VALUES))
        if bad is not None:
            problem(Message("the values: {bad!r} is not name=value (e.g. members=7)", bad=bad))
            continue
        if values and action is None:
            problem(Message("values go with a new stage: choose one, or leave the values blank"))
            continue
        requests.append(
            RowRequest(
                row=number,
                key=key,
                version=version,
                action=action,
                remark=remark,
                happened_on=happened_on,
                values=values,
            )
        )
    return ParsedSheet(requests=tuple(requests), problems=tuple(problems), unchanged=unchanged)


def source(sheet: str, row: int) -> str:
    """How an event names the sheet it came from."""
    return f"from sheet {sheet} row {row}"


def comment(request: RowRequest, sheet: str) -> str:
    """The event's comment: the remark, then where it came from (and, for a remark, its date)."""
    origin = source(sheet, request.row)
    if request.action is None and request.happened_on is not None:
        origin += f", dated {request.happened_on.isoformat()}"
    return f"{request.remark} ({origin})" if request.remark else origin.capitalize()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _values(cell: object) -> tuple[dict[str, str], str | None]:
    """`name=value; name=value` as a mapping, or the first part that is not name=value.

    A part with no value (`members=`, as a hint may leave it) is no value.
    """
    found: dict[str, str] = {}
    for part in _text(cell).split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            return {}, part.strip()
        if value.strip():
            found[name.strip()] = value.strip()
    return found, None


def needs_text(needs: Mapping[str, Sequence[str]], comment_required: Sequence[str]) -> str:
    """The hint a sheet shows: what each action asks for, e.g. `shortlist: shortlist_size`."""
    parts = []
    for action, names in needs.items():
        wants = [*names, *(["a remark"] if action in comment_required else [])]
        parts.append(f"{action}: {', '.join(wants)}" if wants else action)
    return "; ".join(parts)


def _blank(value: object) -> bool:
    return _text(value) == ""


def _version(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    text = _text(value)
    return int(text) if text.isdigit() and int(text) > 0 else None


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(_text(value)).date()
    except ValueError:
        return None
