"""A bar chart of overdue items per province: inline SVG for mail, bars of text for plain text.

Pure functions returning strings. The SVG needs no script, stylesheet or font
file: mail clients that show inline SVG show it as it is, and its <title> and
aria-label carry the numbers for those that read it aloud. Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

BAR_COLOUR = "#b4342d"
TEXT_COLOUR = "#1f2933"
TRACK_COLOUR = "#eef0f2"


@dataclass(frozen=True)
class Bar:
    """One bar: what it counts (already in the reader's language) and how many."""

    label: str
    count: int


def _attribute(value: str) -> str:
    return escape(value, quote=True)


def bar_chart_svg(
    bars: Sequence[Bar],
    *,
    title: str,
    width: int = 520,
    label_width: int = 170,
    bar_height: int = 22,
    gap: int = 8,
    rtl: bool = False,
) -> str:
    """An SVG bar chart, one row a bar, each bar's length proportional to its count.

    `rtl` mirrors the chart for right-to-left readers: labels on the right, bars
    growing leftwards. With no bars it is a one-line chart saying so via its title.
    """
    counts_width = 48  # room for the number after the longest bar
    track = max(width - label_width - counts_width, 10)
    most = max((bar.count for bar in bars), default=0)
    top = 4
    height = top + len(bars) * (bar_height + gap) + 4
    summary = f"{title}: " + ", ".join(f"{bar.label} {bar.count}" for bar in bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" style="max-width:100%; height:auto;"'
        f' aria-label="{_attribute(summary)}"'
        # An inline SVG inherits the page's direction: a right-to-left letter would flip
        # every text-anchor, so the chart fixes its own and mirrors itself when asked.
        ' direction="ltr" font-family="Helvetica, Arial, sans-serif" font-size="13">',
        f"<title>{escape(summary, quote=False)}</title>",
    ]
    for row, bar in enumerate(bars):
        y = top + row * (bar_height + gap)
        middle = y + bar_height / 2 + 4.5  # a 13px font's baseline, centred on the bar
        length = round(track * bar.count / most) if most else 0
        if bar.count and not length:
            length = 1  # a count that is not zero is never drawn as nothing
        if rtl:
            edge = width - label_width  # bars grow leftwards from here
            label_x, track_x = width - 4, edge - track
            bar_x, number_x, number_anchor = edge - length, edge - length - 6, "end"
        else:
            label_x, track_x = label_width - 8, label_width
            bar_x, number_x, number_anchor = label_width, label_width + length + 6, "start"
        parts += [
            # "end" is the right edge with the default direction, for either script.
            f'<text x="{label_x}" y="{middle}" text-anchor="end" fill="{TEXT_COLOUR}">'
            f"{escape(bar.label, quote=False)}</text>",
            f'<rect x="{track_x}" y="{y}" width="{track}" height="{bar_height}"'
            f' fill="{TRACK_COLOUR}"/>',
            f'<rect x="{bar_x}" y="{y}" width="{length}" height="{bar_height}"'
            f' fill="{BAR_COLOUR}"/>',
            f'<text x="{number_x}" y="{middle}" text-anchor="{number_anchor}"'
            f' fill="{TEXT_COLOUR}" font-weight="bold">{bar.count}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


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
