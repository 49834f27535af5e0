"""The working paper as a printable HTML page, and the PDF printed from that same page.

The board serves the HTML (`/board/matrix.html`) and WeasyPrint prints it, so what
a secretary sees on screen is what the PDF says: landscape A4, the table's header
on every page, page numbers in the margin. Urdu pages are right to left in Noto
Nastaliq Urdu (Debian's fonts-noto-core).

Keys, emails and English titles must keep their order inside an Urdu row. A browser
would isolate them with `dir="auto"`, but WeasyPrint does not resolve `auto` and
loses an isolate where a line wraps; so each line of a cell is its own block whose
direction is decided here, by its first strong character (the rule `auto` follows).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from db.matrix import Matrix, MatrixRow
from notifications import formatting
from notifications.formatting import ENGLISH, URDU
from notifications.working_paper import COLUMNS, cells, change_parts, headers, word

TEMPLATES = Path(__file__).parent / "paper_templates"
TEMPLATE = "working_paper.html.j2"

_FONTS = {
    ENGLISH: '"DejaVu Sans", "Liberation Sans", sans-serif',
    URDU: '"Noto Nastaliq Urdu", "Noto Naskh Arabic", "DejaVu Sans", sans-serif',
}
# Room for the long texts (percent of the page's width); the other columns take what
# their words need, so that no word is broken.
_WIDTHS = {"decision": 18, "officer": 10, "remark": 10, "changes": 10, "reiterated": 6}
# Nastaliq climbs and descends far more than Latin type: it needs taller lines.
_SIZE = {ENGLISH: ("7.5pt", "1.3"), URDU: ("8pt", "1.9")}


@dataclass(frozen=True)
class Text:
    """One line of a cell, and the direction it reads in."""

    text: str
    direction: str


@dataclass(frozen=True)
class Cell:
    """One cell: its column (a CSS class) and its lines."""

    classes: str
    lines: tuple[Text, ...]


@dataclass(frozen=True)
class Row:
    """One row of the table: a decision, or a child of one `depth` levels down."""

    depth: int
    cells: tuple[Cell, ...]


@cache
def environment(directory: Path = TEMPLATES) -> Environment:
    """The paper's templates: HTML, so every value is escaped by construction; one per
    process, so each is compiled once."""
    return Environment(
        loader=FileSystemLoader(directory), autoescape=True, undefined=StrictUndefined
    )


def to_html(matrix: Matrix, language: str = ENGLISH, *, style_nonce: str | None = None) -> str:
    """The working paper as one HTML page, for the screen and for print.

    Its stylesheet is inline, so that the PDF and the page are one file; a page
    served under a policy that refuses inline styles passes the nonce it allows.
    """
    urdu = language == URDU
    paper_direction = "rtl" if urdu else "ltr"
    size, line_height = _SIZE[URDU if urdu else ENGLISH]
    about = [
        _with_values("scope", language, place=formatting.jurisdiction(matrix.scope, language)),
        _with_values("made", language, moment=formatting.moment(matrix.made_at, language)),
    ]
    if matrix.meeting:
        title = matrix.meeting.local_title.in_(language).marked
        about.append(_with_values("meeting", language, meeting=title))
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            language=language,
            style_nonce=style_nonce,
            direction=paper_direction,
            side="right" if urdu else "left",
            # Constants of this module, CSS font lists with quotes that escaping would break.
            fonts=Markup(_FONTS[URDU if urdu else ENGLISH]),  # nosec B704
            latin_fonts=Markup(_FONTS[ENGLISH]),  # nosec B704
            size=size,
            line_height=line_height,
            page_numbers=_counters(word("page", language, page="{page}", pages="{pages}")),
            title=word("title", language),
            about=about,
            heads=list(zip(COLUMNS, headers(matrix, language), strict=True)),
            widths=_WIDTHS.items(),
            rows=[_row(row, language, paper_direction) for row in matrix.rows],
        )
    )


def to_pdf(matrix: Matrix, language: str = ENGLISH) -> bytes:
    """The page above printed to PDF by WeasyPrint (imported here: it is slow to import)."""
    from weasyprint import HTML

    # Without a target, write_pdf returns the document's bytes.
    pdf: bytes = HTML(string=to_html(matrix, language)).write_pdf()
    return pdf


def direction_of(text: str, default: str) -> str:
    """'ltr' or 'rtl' by the first strong character of `text`; `default` when it has none."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return default


def _row(row: MatrixRow, language: str, default: str) -> Row:
    # A cell of several things has a line for each, so each keeps its own direction.
    several: dict[str, list[str]] = {
        "officer": [part for part in (row.officer_name, row.officer_email) if part],
        "changes": change_parts(row.changes, language),
        "reiterated": [meeting.local_title.in_(language).marked for meeting in row.reiterated_at],
    }
    written = []
    for column, value in zip(COLUMNS, cells(row, language), strict=True):
        lines = several.get(column, [str(value)])
        classes = column
        if column == "standing" and row.overdue_working_days is not None:
            classes += " overdue"
        texts = tuple(Text(line, direction_of(line, default)) for line in lines)
        written.append(Cell(classes=classes, lines=texts))
    return Row(depth=row.depth, cells=tuple(written))


def _with_values(name: str, language: str, **values: str) -> Markup:
    """A fixed word with each value escaped and isolated, so a Latin title stays whole in Urdu."""
    pattern = escape(word(name, language, **{key: f"{{{key}}}" for key in values}))
    isolated = {key: Markup("<bdi>{}</bdi>").format(value) for key, value in values.items()}
    # The pattern is escaped above and every value is escaped by Markup.format.
    return Markup(pattern).format(**isolated)  # nosec B704


def _counters(pattern: str) -> Markup:
    """'Page {page} of {pages}' as the CSS `content` of a page's margin box."""
    quoted = '"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'
    content = quoted.replace("{page}", '" counter(page) "').replace("{pages}", '" counter(pages) "')
    # Inside <style>, where HTML escapes are not decoded: a CSS string, quoted above.
    return Markup(content.replace("<", "\\3c "))  # nosec B704: a quoted CSS string, no "<"
