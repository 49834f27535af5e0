"""Small charts for the pages: inline SVG drawn on the server, every label escaped.

Pure functions returning strings. Unlike the mail's chart (`notifications.chart`)
these carry no `style` attribute, which the pages' security policy refuses; they
scale with their viewBox and the page's stylesheet. Each chart's <title> and
aria-label carry its numbers, and the pages put the same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

BAR = "#b4342d"
DONE = "#2f6b3b"
INK = "#1f2933"
TRACK = "#eef0f2"


@dataclass(frozen=True)
class Bar:
    """One bar: what it counts (already in the reader's language) and how many."""

    label: str
    count: int


def _summary(title: str, bars: Sequence[Bar]) -> str:
    return f"{title}: " + ", ".join(f"{bar.label} {bar.count}" for bar in bars)


def _open(width: int, height: int, summary: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart"'
        f' width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' aria-label="{escape(summary, quote=True)}"'
        # The page may be right to left; the chart keeps its own direction and mirrors itself.
        ' direction="ltr" font-family="system-ui, sans-serif" font-size="13">'
        f"<title>{escape(summary, quote=False)}</title>"
    )


def _length(count: int, most: int, room: float) -> float:
    if not most or not count:
        return 0
    return max(round(room * count / most), 2)  # a count that is not zero is never drawn as nothing


def bar_chart(
    bars: Sequence[Bar], *, title: str, rtl: bool = False, width: int = 520, label_width: int = 170
) -> str:
    """Horizontal bars, one row each; `rtl` puts the labels on the right."""
    row, gap, top = 22, 8, 4
    track = width - label_width - 48
    most = max((bar.count for bar in bars), default=0)
    height = top + max(len(bars), 1) * (row + gap) + 4
    parts = [_open(width, height, _summary(title, bars))]
    for index, bar in enumerate(bars):
        y = top + index * (row + gap)
        baseline = y + row / 2 + 4.5
        length = _length(bar.count, most, track)
        if rtl:
            edge = width - label_width
            label_x, track_x, bar_x = width - 4, edge - track, edge - length
            number_x, anchor = edge - length - 6, "end"
        else:
            label_x, track_x, bar_x = label_width - 8, label_width, label_width
            number_x, anchor = label_width + length + 6, "start"
        parts += [
            f'<text x="{label_x}" y="{baseline}" text-anchor="end" fill="{INK}">'
            f"{escape(bar.label, quote=False)}</text>",
            f'<rect x="{track_x}" y="{y}" width="{track}" height="{row}" fill="{TRACK}"/>',
            f'<rect x="{bar_x}" y="{y}" width="{length}" height="{row}" fill="{BAR}"/>',
            f'<text x="{number_x}" y="{baseline}" text-anchor="{anchor}" fill="{INK}"'
            f' font-weight="bold">{bar.count}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    bars: Sequence[Bar], *, title: str, rtl: bool = False, width: int = 520, height: int = 180
) -> str:
    """Vertical columns over time, oldest first (last first when `rtl`), labels underneath."""
    ordered = list(reversed(bars)) if rtl else list(bars)
    bottom, top = height - 24, 20
    slot = width / max(len(ordered), 1)
    column = min(slot * 0.6, 48)
    most = max((bar.count for bar in ordered), default=0)
    parts = [_open(width, height, _summary(title, bars))]
    parts.append(
        f'<line x1="0" y1="{bottom}" x2="{width}" y2="{bottom}" stroke="{INK}" stroke-width="1"/>'
    )
    for index, bar in enumerate(ordered):
        centre = slot * index + slot / 2
        length = _length(bar.count, most, bottom - top)
        parts += [
            f'<rect x="{centre - column / 2:g}" y="{bottom - length:g}" width="{column:g}"'
            f' height="{length:g}" fill="{DONE}"/>',
            f'<text x="{centre:g}" y="{bottom - length - 5:g}" text-anchor="middle" fill="{INK}"'
            f' font-weight="bold">{bar.count}</text>',
            f'<text x="{centre:g}" y="{height - 6}" text-anchor="middle" fill="{INK}"'
            f' font-size="11">{escape(bar.label, quote=False)}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)
