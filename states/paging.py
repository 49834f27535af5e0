"""Pages of long lists: which items come first, and where a page ends (the cursor).

Lists are read a page at a time in one stable order with a unique tie-breaker, the
commitment's key, so that walking the pages returns every unchanged item exactly
once even while others are added or move. The position after a page's last item
travels in the address as a cursor; it only says where to resume, never
what the reader may see (the reader's jurisdiction is applied again on every page),
so a cursor that is well formed but invented can at most skip ahead.

"More urgent" is a rule: an open commitment with a due time comes before everything
else, the earliest due first (the longest overdue at the top, then the least time
left); then the rest (open with no due time, and closed items) by key. Working days
between a due time and now grow with the due time, so ordering by the stored due
time is ordering by working days overdue or left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from states.errors import TaskforceError
from states.text import COMMITMENT_KEY_PATTERN, KEY_MAX

PAGE_SIZE = 50
# "Needs you" is a list to act on, each item with its answers (acknowledge, snooze, exempt,
# nudge): twenty fill a phone's scroll and a first look, where fifty made 145 kB pages.
NEEDS_PAGE_SIZE = 20
# Counts beside a list stop here: past it a reader needs "more than", not the number, and
# counting every one of tens of thousands costs more than the page itself.
COUNT_LIMIT = 1_000
PAGE_SIZE_MAX = 500  # what the API allowed before it paged by cursor

_KEY = COMMITMENT_KEY_PATTERN.removeprefix("^").removesuffix("$")
_MICROSECONDS_MAX = 16  # digits: microseconds since 1970 up to the year 2286
# The cursors' shapes. Every text of these shapes is a position a list can resume from,
# so a cursor is either refused for its shape or read; it is never half understood.
KEY_CURSOR_PATTERN = f"^k\\.{_KEY}$"
URGENCY_CURSOR_PATTERN = f"^(r|d\\.[0-9]{{1,{_MICROSECONDS_MAX}}})\\.{_KEY}$"
NEEDS_CURSOR_PATTERN = (
    f"^n\\.[01]\\.[0-9]{{1,2}}\\.(r|d\\.[0-9]{{1,{_MICROSECONDS_MAX}}})\\.{_KEY}$"
)
CURSOR_MAX = len("n.1.99.") + len("d.") + _MICROSECONDS_MAX + len(".") + KEY_MAX
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CursorError(TaskforceError):
    """The page cursor is not one this list gave out."""


class Order(StrEnum):
    """The orders lists are read in; a cursor is only good for the order it came from."""

    URGENCY = "u"  # most urgent first (see the module's docstring)
    KEY = "k"  # by key
    NEEDS = "n"  # "Needs you": unhandled first, the rung escalated, then as URGENCY


# Where an item falls in the urgency order: DUE (open, with a due time) before REST.
DUE = 0
REST = 1


def urgency_band(status: str, due_at: datetime | None) -> int:
    """DUE for an open commitment with a due time, REST for everything else."""
    return DUE if status == "open" and due_at is not None else REST


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last item's place in `order`."""

    order: Order
    key: str
    band: int = REST
    due_at: datetime | None = None
    handled: bool = False
    """NEEDS only: whether the item was handled (handled items come after the rest)."""
    level: int = 0
    """NEEDS only: the rung escalated (0: none); the highest first."""

    def cursor(self) -> str:
        """The position as a short, URL-safe text (readable, but clients need not read it)."""
        if self.order is Order.KEY:
            return f"k.{self.key}"
        if self.order is Order.NEEDS:
            urgency = replace(self, order=Order.URGENCY).cursor()
            return f"n.{int(self.handled)}.{self.level}.{urgency}"
        if self.band == REST or self.due_at is None:
            return f"r.{self.key}"
        micros = (self.due_at - _EPOCH) // timedelta(microseconds=1)
        return f"d.{micros}.{self.key}"


def position_after(
    order: Order, *, key: str, status: str = "", due_at: datetime | None = None
) -> Position:
    """The position just after an item, in `order`."""
    if order is Order.KEY:
        return Position(order, key)
    band = urgency_band(status, due_at)
    return Position(order, key, band, due_at if band == DUE else None)


def needs_position(
    *, key: str, handled: bool, level: int | None, due_at: datetime | None
) -> Position:
    """The position just after an item of "Needs you" (an open item: due_at decides the band)."""
    band = DUE if due_at is not None else REST
    return Position(Order.NEEDS, key, band, due_at, handled=handled, level=level or 0)


def read_cursor(text: str, order: Order, *, name: str = "after") -> Position:
    """The position `text` encodes, or CursorError naming the parameter `name`."""
    pattern = {
        Order.KEY: KEY_CURSOR_PATTERN,
        Order.URGENCY: URGENCY_CURSOR_PATTERN,
        Order.NEEDS: NEEDS_CURSOR_PATTERN,
    }[order]
    if len(text) > CURSOR_MAX or not re.fullmatch(pattern, text):
        raise CursorError(
            f"{name}: this page link is damaged or belongs to another list; start again"
            " from the first page"
        )
    if order is Order.KEY:
        return Position(order, text.removeprefix("k."))
    if order is Order.NEEDS:
        _, handled, level, urgency = text.split(".", 3)
        found = read_cursor(urgency, Order.URGENCY, name=name)
        return replace(found, order=order, handled=handled == "1", level=int(level))
    band, _, rest = text.partition(".")
    if band == "r":
        return Position(order, rest, REST, None)
    micros, _, key = rest.partition(".")
    return Position(order, key, DUE, _EPOCH + timedelta(microseconds=int(micros)))


def page_size(asked: int | None, *, default: int = PAGE_SIZE) -> int:
    """The page size to use: `default` when none is asked, never above the maximum."""
    if asked is None:
        return default
    return max(1, min(asked, PAGE_SIZE_MAX))
