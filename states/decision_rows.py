"""A meeting's decisions as spreadsheet rows, turned into the meeting file they stand for.

The template has three sheets: `meeting` (one field and its value a row), `people`
and `decisions` (one commitment a row). Their columns are the meeting file's keys;
refs and tags hold several values separated by ";". The rows become the same mapping
a meeting file holds and are validated by the same model, so every problem names
its sheet, row and column: "FILE decisions row 4: pipeline: no pipeline 'x'".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from states.documents import Document, Loc, Problem, validate_and_check
from states.errors import DefinitionError, Finding
from states.meeting import MeetingFile, check_meeting

MEETING_FIELDS = ("key", "title", "held_on", "chair", "note")
PEOPLE_COLUMNS = ("email", "name", "role", "jurisdiction", "department", "language")
DECISION_COLUMNS = (
    "key",
    "title",
    "pipeline",
    "jurisdiction",
    "department",
    "officer",
    "agenda_item",
    "start",
    "deadline",
    "parent",
    "refs",
    "tags",
    "title_ur",  # last, so sheets filled before it was added keep their columns
)
LISTED = frozenset({"refs", "tags"})
SEPARATOR = ";"

# A row: its number in the sheet, and its cells by column name.
Row = tuple[int, Mapping[str, object]]


@dataclass(frozen=True)
class Cell:
    """Where a value came from: the sheet, its row and its column."""

    sheet: str
    row: int
    column: str | None = None


class _RowsDocument(Document):
    """The rows as a document whose findings name a sheet's row and column, not a line."""

    def __init__(self, source: str, data: Any, cells: dict[Loc, Cell]) -> None:
        super().__init__(source, data, {})
        self.cells = cells

    def finding(self, loc: Loc, message: str) -> Finding:
        for end in range(len(loc), 0, -1):
            cell = self.cells.get(loc[:end])
            if cell is not None:
                named = [part for part in loc[end:] if isinstance(part, str)]
                return Finding(
                    path=cell.column or (named[0] if named else ""),
                    message=message,
                    source=f"{self.source} {cell.sheet} row {cell.row}",
                )
        return Finding(path="", message=message, source=self.source)


def _value(value: object) -> object:
    """A cell as the meeting file would hold it: dates as dates, numbers as their text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _record(
    sheet: str,
    number: int,
    cells: Mapping[str, object],
    columns: Sequence[str],
    loc: Loc,
    located: dict[Loc, Cell],
    problems: list[Problem],
) -> dict[str, object]:
    located[loc] = Cell(sheet, number)
    record: dict[str, object] = {}
    for column, raw in cells.items():
        if _blank(raw):
            continue
        if column not in columns:
            located[(*loc, column)] = Cell(sheet, number, column or "(no header)")
            problems.append(
                ((*loc, column), f"unknown column; the columns are {', '.join(columns)}")
            )
            continue
        located[(*loc, column)] = Cell(sheet, number, column)
        value = _value(raw)
        if column in LISTED:
            parts = [part.strip() for part in str(value).split(SEPARATOR)]
            record[column] = [part for part in parts if part]
            for index in range(len(parts)):
                located[(*loc, column, index)] = Cell(sheet, number, column)
        else:
            record[column] = value
    return record


def meeting_of(
    source: str,
    *,
    meeting: Sequence[Row],
    people: Sequence[Row] = (),
    decisions: Sequence[Row] = (),
    pipeline_problem: Callable[[str], str | None] | None = None,
) -> MeetingFile:
    """The meeting file the rows stand for, or a DefinitionError listing every bad cell.

    `meeting` rows hold a `field` and its `value`; `pipeline_problem`, if given, says
    what is wrong with a decision's pipeline key (unknown here), or None.
    """
    located: dict[Loc, Cell] = {}
    problems: list[Problem] = []
    heading: dict[str, object] = {}
    located[("meeting",)] = Cell("meeting", 1)
    for number, cells in meeting:
        name = str(_value(cells.get("field")) or "")
        value = cells.get("value")
        if not name and _blank(value):
            continue
        located[("meeting", name)] = Cell("meeting", number, name or "field")
        if name not in MEETING_FIELDS:
            problems.append(
                (("meeting", name), f"unknown field; the fields are {', '.join(MEETING_FIELDS)}")
            )
        elif not _blank(value):
            heading[name] = _value(value)
    persons = [
        _record("people", number, cells, PEOPLE_COLUMNS, ("people", index), located, problems)
        for index, (number, cells) in enumerate(
            row for row in people if not all(_blank(v) for v in row[1].values())
        )
    ]
    commitments = [
        _record(
            "decisions", number, cells, DECISION_COLUMNS, ("commitments", index), located, problems
        )
        for index, (number, cells) in enumerate(
            row for row in decisions if not all(_blank(v) for v in row[1].values())
        )
    ]
    for record in commitments:
        # The Urdu title, in its own column, joins the English one as the meeting file has it.
        urdu = record.pop("title_ur", None)
        if urdu is not None:
            record["title"] = {"en": record.get("title"), "ur": urdu}
    if pipeline_problem is not None:
        for index, record in enumerate(commitments):
            pipeline = record.get("pipeline")
            problem = isinstance(pipeline, str) and pipeline_problem(pipeline)
            if problem:
                problems.append((("commitments", index, "pipeline"), problem))
    document = _RowsDocument(
        source, {"meeting": heading, "people": persons, "commitments": commitments}, located
    )
    if not commitments:
        problems.append((("commitments",), "the decisions sheet holds no decisions"))
    try:
        parsed = validate_and_check(MeetingFile, document, check_meeting)
    except DefinitionError as refused:
        # Every problem at once, in the order of the sheets and their rows.
        findings = [*document.refuse(problems).findings, *refused.findings] if problems else []
        raise DefinitionError(source, findings or refused.findings) from None
    if problems:
        raise document.refuse(problems)
    return parsed


def meeting_rows(key: str, title: str, held_on: date) -> list[Row]:
    """The `meeting` rows for a meeting given by its key, title and date (a CSV import)."""
    return [
        (number, {"field": name, "value": value})
        for number, (name, value) in enumerate(
            (("key", key), ("title", title), ("held_on", held_on)), start=2
        )
    ]
