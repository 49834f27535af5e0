"""A pipeline drawn as a diagram: stages as boxes left to right, transitions as labelled arrows.

Pure: a `Pipeline` in, a `Layout` (boxes and arrows with their coordinates) and an
SVG string out. Stages are placed in columns by the longest path from the initial
stage over the forward transitions; a transition that leads back to a stage already
on the way (a return) is a back-edge, drawn as a curve below the boxes. A forward
transition that skips columns is a curve above them. Terminal stages share the last
column, the completing one first. Actions allowed from any open stage (`from: "*"`)
are drawn once, from a dashed frame around the open stages, not once per stage.

The SVG needs no script or stylesheet (the pages' security policy allows neither
inline): colours are presentation attributes, and every text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from html import escape
from typing import Literal

from notifications import formatting
from states.definition import ANY_STAGE, Clock, Ending, Pipeline, Stage
from states.localtext import LocalText

BOX_WIDTH = 150
BOX_HEIGHT = 76
COLUMN_GAP = 136
ROW_GAP = 40
MARGIN = 20
LINE = 14  # line height of box titles
LABEL_LINE = 13  # line height of arrow labels
TITLE_CHARS = 19  # a box title line, 12px bold
LABEL_CHARS = 21  # an arrow label line in a column gap, 11px
LABEL_CHAR_WIDTH = 6.0
LANE = 2 * LABEL_LINE + 20  # vertical room of one curved arrow and its two-line label
FRAME_PAD = 12
ARC_START = 26  # how far the nearest curve reaches beyond the boxes

INK = "#1f2933"
FORWARD = "#34495e"
RETURN = "#a0522d"
ANY = "#6b7280"
BOX_FILL = {None: "#ffffff", Ending.COMPLETED: "#e6f4ea", Ending.WITHDRAWN: "#f1f1f1"}
BOX_FILL[Ending.LAPSED] = "#fbeaea"
BOX_STROKE = {None: "#34495e", Ending.COMPLETED: "#2f6b3b", Ending.WITHDRAWN: "#6b7280"}
BOX_STROKE[Ending.LAPSED] = "#9b2c2c"

ArrowKind = Literal["forward", "skip", "back", "any"]
Translate = Callable[..., str]


def _same(text: str, **values: object) -> str:
    return text.format(**values) if values else text


@dataclass(frozen=True)
class Box:
    """A stage's box."""

    key: str
    title: str
    x: float
    y: float
    width: float
    height: float
    column: int
    row: int
    terminal: bool
    outcome: Ending | None
    initial: bool

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def centre_x(self) -> float:
        return self.x + self.width / 2

    @property
    def centre_y(self) -> float:
        return self.y + self.height / 2

    def overlaps(self, other: Box) -> bool:
        """Whether the two boxes share any area."""
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )


@dataclass(frozen=True)
class Arrow:
    """One arrow: every transition it stands for, where it runs and where its label sits."""

    source: str  # a stage key, or "*" for any open stage
    target: str
    actions: tuple[str, ...]
    titles: tuple[str, ...]
    kind: ArrowKind
    path: str
    label_x: float
    label_y: float  # the baseline of the label's first line
    label_lines: tuple[str, ...]


@dataclass(frozen=True)
class Frame:
    """The dashed frame around the open stages that `from: "*"` arrows leave from."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width


@dataclass(frozen=True)
class Layout:
    """Where everything goes, in SVG user units."""

    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    frame: Frame | None
    width: float
    height: float

    def box(self, key: str) -> Box:
        for box in self.boxes:
            if box.key == key:
                return box
        raise KeyError(key)


# -- text ------------------------------------------------------------------------------------


def wrap(text: str, width: int, *, lines: int) -> tuple[str, ...]:
    """`text` in lines of at most `width` characters, at most `lines` of them (… if cut)."""
    words = text.split()
    found: list[str] = []
    current = ""
    for word in words:
        while len(word) > width:  # a word longer than a line is broken
            if current:
                found.append(current)
                current = ""
            found.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            found.append(current)
            current = word
    if current:
        found.append(current)
    if len(found) > lines:
        kept = found[:lines]
        kept[-1] = kept[-1][: max(width - 1, 1)].rstrip() + "…"
        return tuple(kept)
    return tuple(found)


# -- order -----------------------------------------------------------------------------------


def _edges(pipeline: Pipeline) -> list[tuple[str, str]]:
    """Stage-to-stage moves in declaration order, `*` left out (drawn from the frame)."""
    found: list[tuple[str, str]] = []
    for transition in pipeline.transitions:
        if ANY_STAGE in transition.from_:
            continue
        for source in transition.from_:
            if (source, transition.to) not in found:
                found.append((source, transition.to))
    return found


def back_edges(pipeline: Pipeline) -> set[tuple[str, str]]:
    """Moves that lead back to a stage already on the way from the initial stage (returns)."""
    successors: dict[str, list[str]] = {stage.key: [] for stage in pipeline.stages}
    for source, target in _edges(pipeline):
        successors[source].append(target)
    back: set[tuple[str, str]] = set()
    visited: set[str] = set()
    on_path: set[str] = set()

    def visit(stage: str) -> None:
        visited.add(stage)
        on_path.add(stage)
        for nxt in successors[stage]:
            if nxt in on_path:
                back.add((stage, nxt))
            elif nxt not in visited:
                visit(nxt)
        on_path.discard(stage)

    visit(pipeline.initial)
    for stage in pipeline.stages:
        if stage.key not in visited:
            visit(stage.key)
    return back


def columns(pipeline: Pipeline) -> dict[str, int]:
    """Each stage's column: the longest forward path from the initial stage; terminals last."""
    back = back_edges(pipeline)
    forward = [edge for edge in _edges(pipeline) if edge not in back]
    column = {stage.key: 0 for stage in pipeline.stages}
    # Longest paths in a graph without cycles: relax as often as there are stages.
    for _ in pipeline.stages:
        changed = False
        for source, target in forward:
            if column[target] < column[source] + 1:
                column[target] = column[source] + 1
                changed = True
        if not changed:
            break
    open_stages = [stage.key for stage in pipeline.stages if not stage.terminal]
    last = max((column[key] for key in open_stages), default=-1) + 1
    for stage in pipeline.terminal_stages():
        column[stage.key] = last
    return column


def _rows(pipeline: Pipeline, column: dict[str, int]) -> dict[str, int]:
    """Each stage's row within its column: declaration order, the completing terminal first."""

    def order(stage: Stage) -> tuple[int, int]:
        return (0 if stage.outcome is Ending.COMPLETED else 1, pipeline.stages.index(stage))

    row: dict[str, int] = {}
    taken: dict[int, int] = {}
    for stage in sorted(pipeline.stages, key=order):
        row[stage.key] = taken.get(column[stage.key], 0)
        taken[column[stage.key]] = row[stage.key] + 1
    return row


def _lanes(spans: list[tuple[int, int]]) -> list[int]:
    """A lane for each span, so that spans sharing a lane do not meet (not even at an end)."""
    lanes: list[list[tuple[int, int]]] = []
    found = [0] * len(spans)
    for index in sorted(range(len(spans)), key=lambda i: (spans[i][1] - spans[i][0], spans[i])):
        low, high = spans[index]
        for number, taken in enumerate(lanes):
            if all(high < a or b < low for a, b in taken):
                taken.append((low, high))
                found[index] = number
                break
        else:
            lanes.append([(low, high)])
            found[index] = len(lanes) - 1
    return found


# -- layout ----------------------------------------------------------------------------------


def _label_lines(titles: Iterable[str], chars: int, lines: int) -> tuple[str, ...]:
    found: list[str] = []
    for title in titles:
        found.extend(wrap(title, chars, lines=lines))
    return tuple(found)


def _rounded(x1: float, y1: float, x2: float, y2: float, level: float) -> str:
    """Out of one box upright to `level`, across, and upright into the other, corners rounded."""
    radius = min(12.0, abs(level - y1) / 2, abs(x2 - x1) / 2)
    up = -1 if level < y1 else 1  # towards the level
    across = 1 if x2 > x1 else -1
    return (
        f"M{x1:g},{y1:g} L{x1:g},{level - up * radius:g}"
        f" Q{x1:g},{level:g} {x1 + across * radius:g},{level:g}"
        f" L{x2 - across * radius:g},{level:g}"
        f" Q{x2:g},{level:g} {x2:g},{level - up * radius:g} L{x2:g},{y2:g}"
    )


def layout(pipeline: Pipeline, language: str = "en") -> Layout:
    """Place every stage and transition of `pipeline`, titled in `language`."""
    column = columns(pipeline)
    row = _rows(pipeline, column)
    back = back_edges(pipeline)
    pitch = BOX_WIDTH + COLUMN_GAP

    # Group the moves by (from, to): one arrow each, labelled with every action's title.
    grouped: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for transition in pipeline.transitions:
        sources = (ANY_STAGE,) if ANY_STAGE in transition.from_ else transition.from_
        for source in sources:
            grouped.setdefault((source, transition.to), []).append(
                (transition.action, transition.title.in_(language).marked)
            )

    def kind_of(source: str, target: str) -> ArrowKind:
        if source == ANY_STAGE:
            return "any"
        if (source, target) in back or column[target] <= column[source]:
            return "back"
        return "forward" if column[target] == column[source] + 1 else "skip"

    kinds = {pair: kind_of(*pair) for pair in grouped}
    skips = [pair for pair in grouped if kinds[pair] == "skip"]
    backs = [pair for pair in grouped if kinds[pair] == "back"]
    skip_lane = dict(zip(skips, _lanes([(column[s], column[t]) for s, t in skips]), strict=True))
    back_spans = [(min(column[s], column[t]), max(column[s], column[t])) for s, t in backs]
    back_lane = dict(zip(backs, _lanes(back_spans), strict=True))
    above = (max(skip_lane.values()) + 1) * LANE + ARC_START if skip_lane else 0
    top = MARGIN + LABEL_LINE * 3 + above  # room for straight arrows' labels above the first row

    boxes = {
        stage.key: Box(
            key=stage.key,
            title=stage.title.in_(language).marked,
            x=MARGIN + FRAME_PAD + column[stage.key] * pitch,
            y=top + row[stage.key] * (BOX_HEIGHT + ROW_GAP),
            width=BOX_WIDTH,
            height=BOX_HEIGHT,
            column=column[stage.key],
            row=row[stage.key],
            terminal=stage.terminal,
            outcome=stage.outcome,
            initial=stage.key == pipeline.initial,
        )
        for stage in pipeline.stages
    }
    open_boxes = [box for box in boxes.values() if not box.terminal]
    open_bottom = max((box.bottom for box in open_boxes), default=top)
    first_top = top

    arrows: list[Arrow] = []
    for (source, target), moves in grouped.items():
        actions = tuple(action for action, _ in moves)
        titles = tuple(title for _, title in moves)
        kind = kinds[(source, target)]
        end = boxes[target]
        if kind == "forward":
            start = boxes[source]
            x1, y1, x2, y2 = start.right, start.centre_y, end.x, end.centre_y
            lines = _label_lines(titles, LABEL_CHARS, 3)
            path = f"M{x1:g},{y1:g} L{x2 - 2:g},{y2:g}"
            label_x = (x1 + x2) / 2
            if y2 > y1:  # down to a lower row: the label sits under the arrow's tip
                label_y = y2 + LABEL_LINE + 4
            else:
                label_y = min(y1, y2) - 6 - (len(lines) - 1) * LABEL_LINE
        elif kind in ("skip", "back"):
            start = boxes[source]
            span = max(abs(end.column - start.column), 1) * pitch
            # Narrower than the span, so that a wider curve's upright never cuts through it.
            chars = max(LABEL_CHARS, int((span - 64) / LABEL_CHAR_WIDTH))
            lines = _label_lines(titles, chars, 2)
            if kind == "skip":
                depth = ARC_START + skip_lane[(source, target)] * LANE
                x1, y1 = start.centre_x + 14, start.y
                x2, y2 = end.centre_x - 14, end.y - 2
                level = float(first_top - depth)
                label_y = level - 6 - (len(lines) - 1) * LABEL_LINE
            else:
                depth = ARC_START + back_lane[(source, target)] * LANE
                x1, y1 = start.centre_x - 14, start.bottom
                x2, y2 = end.centre_x + 14, end.bottom + 2
                if source == target:
                    x1, x2 = start.centre_x + 20, start.centre_x - 20
                level = float(open_bottom + depth)
                label_y = level + LABEL_LINE + 2
            path = _rounded(x1, y1, x2, y2, level)
            label_x = (x1 + x2) / 2
        else:  # from any open stage: leaves the frame, drawn once the frame is known
            lines = _label_lines(titles, LABEL_CHARS, 3)
            path, label_x, label_y = "", 0.0, 0.0
        arrows.append(
            Arrow(
                source=source,
                target=target,
                actions=actions,
                titles=titles,
                kind=kind,
                path=path,
                label_x=label_x,
                label_y=label_y,
                label_lines=lines,
            )
        )

    frame = None
    if any(arrow.kind == "any" for arrow in arrows) and open_boxes:
        frame_top = MARGIN + LABEL_LINE * 3 - FRAME_PAD // 2
        back_depth = (max(back_lane.values()) + 1) * LANE + ARC_START if back_lane else 0
        frame_bottom = open_bottom + back_depth + FRAME_PAD
        for arrow in arrows:  # tall enough for every arrow from it to leave level
            if arrow.kind == "any":
                frame_bottom = max(frame_bottom, boxes[arrow.target].centre_y + 2 * LABEL_LINE)
        frame_left = MARGIN
        frame_right = max(box.right for box in open_boxes) + FRAME_PAD
        frame = Frame(frame_left, frame_top, frame_right - frame_left, frame_bottom - frame_top)
        for index, arrow in enumerate(arrows):
            if arrow.kind != "any":
                continue
            end = boxes[arrow.target]
            y = min(max(end.centre_y, frame.y + 10), frame.y + frame.height - 10)
            arrows[index] = replace(
                arrow,
                path=f"M{frame.right:g},{y:g} L{end.x - 2:g},{end.centre_y:g}",
                label_x=(frame.right + end.x) / 2,
                label_y=min(y, end.centre_y) - 6 - (len(arrow.label_lines) - 1) * LABEL_LINE,
            )

    width = max(box.right for box in boxes.values()) + MARGIN
    bottoms = [box.bottom for box in boxes.values()]
    if back_lane:
        bottoms.append(open_bottom + (max(back_lane.values()) + 1) * LANE + ARC_START + 4)
    if frame is not None:
        bottoms.append(frame.y + frame.height + LABEL_LINE + 6)
    height = max(bottoms) + MARGIN
    return Layout(
        boxes=tuple(boxes[stage.key] for stage in pipeline.stages),
        arrows=tuple(arrows),
        frame=frame,
        width=width,
        height=height,
    )


# -- drawing ---------------------------------------------------------------------------------


def _text(value: str) -> str:
    return escape(value, quote=False)


def _attribute(value: str) -> str:
    return escape(value, quote=True)


def _marker(ident: str, colour: str) -> str:
    return (
        f'<marker id="{ident}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"'
        ' markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
    )


def _lines(x: float, y: float, lines: Iterable[str], *, step: int, **attributes: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    spans = "".join(
        f'<tspan x="{x:g}" y="{y + index * step:g}">{_text(line)}</tspan>'
        for index, line in enumerate(lines)
    )
    return f'<text text-anchor="middle"{extra}>{spans}</text>'


def _stage_note(stage: Stage, t: Translate, language: str) -> str:
    if stage.terminal:
        return t("ends: {outcome}", outcome=t(str(stage.outcome or "")))
    return time_limit_text(stage, t, language)


def time_limit_text(stage: Stage, t: Translate, language: str) -> str:
    """'10 working days', '10 days', '1 month' or 'no time limit', in `language`."""
    if stage.time_limit is None:
        return t("no time limit")
    if stage.clock is Clock.WORKING_DAYS:
        # Imported here: the page modules import this one, and i18n reads the catalog.
        from taskforce.web.i18n import plural_translator

        tn = plural_translator(language)
        return tn("{n} working day", "{n} working days", stage.time_limit)
    unit = "M" if stage.clock is Clock.MONTHS else "D"
    return formatting.duration(f"P{stage.time_limit}{unit}", language)


def description(pipeline: Pipeline, t: Translate = _same, language: str = "en") -> str:
    """The diagram in words, for those who cannot see it."""

    def title(text: LocalText) -> str:
        return text.in_(language).marked

    order = sorted(pipeline.stages, key=lambda s: (columns(pipeline)[s.key], s.terminal))
    stages = ", ".join(title(stage.title) for stage in order)
    moves = "; ".join(
        t(
            "{action}: from {source} to {target}",
            action=title(transition.title),
            source=t("any open stage")
            if ANY_STAGE in transition.from_
            else ", ".join(title(pipeline.stage(key).title) for key in transition.from_),
            target=title(pipeline.stage(transition.to).title),
        )
        for transition in pipeline.transitions
    )
    return t("Stages: {stages}. Actions: {moves}.", stages=stages, moves=moves)


def svg(pipeline: Pipeline, t: Translate = _same, language: str = "en") -> str:
    """The diagram of `pipeline` as an inline SVG element, scaled by its viewBox."""
    drawn = layout(pipeline, language)
    ident = f"diagram-{pipeline.key}-{pipeline.version}"
    markers = {"forward": FORWARD, "skip": FORWARD, "back": RETURN, "any": ANY}
    heading = t("Diagram of the pipeline {title}", title=pipeline.title.in_(language).marked)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="diagram-svg"'
        f' width="{drawn.width:g}" height="{drawn.height:g}"'
        f' viewBox="0 0 {drawn.width:g} {drawn.height:g}"'
        f' aria-labelledby="{ident}-title {ident}-desc"'
        # The page may be right to left; the drawing keeps its own direction.
        ' direction="ltr" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{ident}-title">{_text(heading)}</title>',
        f'<desc id="{ident}-desc">{_text(description(pipeline, t, language))}</desc>',
        "<defs>",
        _marker(f"{ident}-head", FORWARD),
        _marker(f"{ident}-back", RETURN),
        _marker(f"{ident}-any", ANY),
        "</defs>",
    ]
    if drawn.frame is not None:
        frame = drawn.frame
        parts.append(
            f'<rect x="{frame.x:g}" y="{frame.y:g}" width="{frame.width:g}"'
            f' height="{frame.height:g}" rx="10" fill="none" stroke="{ANY}"'
            ' stroke-dasharray="6 4"/>'
        )
        label = t("From any open stage")  # outside the f-string, where extraction finds it
        parts.append(
            f'<text x="{frame.x + 8:g}" y="{frame.y + frame.height + LABEL_LINE:g}"'
            f' fill="{ANY}" font-size="11">{_text(label)}</text>'
        )
    for arrow in drawn.arrows:
        colour = markers[arrow.kind]
        head = {"back": "back", "any": "any"}.get(arrow.kind, "head")
        dash = ' stroke-dasharray="5 3"' if arrow.kind in ("back", "any") else ""
        parts.append(
            f'<g class="arrow arrow-{arrow.kind}"><title>{_text(" / ".join(arrow.titles))}</title>'
            f'<path d="{arrow.path}" fill="none" stroke="{colour}" stroke-width="1.6"{dash}'
            f' marker-end="url(#{ident}-{head})"/>'
            + _lines(
                arrow.label_x,
                arrow.label_y,
                arrow.label_lines,
                step=LABEL_LINE,
                font_size="11",
                fill=colour if arrow.kind != "forward" else INK,
            )
            + "</g>"
        )
    for box in drawn.boxes:
        stage = pipeline.stage(box.key)
        fill = BOX_FILL[box.outcome]
        stroke = BOX_STROKE[box.outcome]
        width = "3" if box.initial else "1.5"
        dash = ' stroke-dasharray="4 3"' if box.outcome in (Ending.WITHDRAWN, Ending.LAPSED) else ""
        title = wrap(box.title, TITLE_CHARS, lines=3)
        first = box.y + (box.height - (len(title) + 1) * LINE) / 2 + 11
        parts.append(
            f'<g class="stage" id="{ident}-{box.key}"><title>{_text(box.title)}</title>'
            f'<rect x="{box.x:g}" y="{box.y:g}" width="{box.width:g}" height="{box.height:g}"'
            f' rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/>'
            + _lines(box.centre_x, first, title, step=LINE, font_weight="bold", fill=INK)
            + _lines(
                box.centre_x,
                first + len(title) * LINE + 1,
                [_stage_note(stage, t, language)],
                step=LINE,
                font_size="11",
                fill=INK,
            )
            + "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)
