"""A bar chart of overdue items per province: table rows for HTML mail, bars of text for plain text.

Pure functions. Mail clients differ in what they draw: Gmail and Outlook drop
inline SVG and most stylesheets, but every client draws a table cell of a given
width and background colour. So the HTML chart is a table the template writes
(escaped by the template like every other value); this module only measures
the bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BAR_COLOUR = "#b4342d"
TRACK_COLOUR = "#eef0f2"


@dataclass(frozen=True)
class Bar:
    """One bar: what it counts (already in the reader's language) and how many."""

    label: str
    count: int


@dataclass(frozen=True)
class BarRow:
    """A bar measured for a table: its share of the longest bar, in whole percent."""

    label: str
    count: int
    percent: int

    @property
    def rest(self) -> int:
        """The track left after the bar, so the two cells always fill the row."""
        return 100 - self.percent


def bar_rows(bars: Sequence[Bar]) -> list[BarRow]:
    """Each bar's length as a percentage of the longest; a count that is not zero is never 0%."""
    most = max((bar.count for bar in bars), default=0)
    rows = []
    for bar in bars:
        percent = round(100 * bar.count / most) if most else 0
        if bar.count and not percent:
            percent = 1
        rows.append(BarRow(label=bar.label, count=bar.count, percent=percent))
    return rows


def bar_chart_text(bars: Sequence[Bar], *, width: int = 30, mark: str = "#") -> list[str]:
    """The same chart as lines of text: label, a bar of `mark`s, the count."""
    most = max((bar.count for bar in bars), default=0)
    label_width = max((len(bar.label) for bar in bars), default=0)
    lines = []
    for bar in bars:
        length = round(width * bar.count / most) if most else 0
        if bar.count and not length:
            length = 1
        lines.append(f"{bar.label.ljust(label_width)}  {mark * length} {bar.count}".rstrip())
    return lines
