"""Which stalled item needs attention first: the rung actually reached, then the delay.

One rule for every list that puts the worst first (the digest's opening, its
groups, a "needs you" list): the level that escalation mail actually went out
at, not one computed from the days, because that is what the people above have
been told; then working days overdue; then the key, so the order is stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar


class Stalled(Protocol):
    """What the rule reads of an item; digest rows and page rows both have it."""

    @property
    def key(self) -> str: ...

    @property
    def escalated_level(self) -> int | None: ...

    @property
    def overdue_days(self) -> int: ...


T = TypeVar("T", bound=Stalled)


def most_urgent_first(item: Stalled) -> tuple[int, int, str]:
    """A sort key: the highest rung reached, then the longest overdue, then the key."""
    return (-(item.escalated_level or 0), -item.overdue_days, item.key)


def worst(items: Iterable[T]) -> tuple[int, int, str]:
    """The sort key of a group: that of its most urgent item (an empty group sorts last)."""
    return min((most_urgent_first(item) for item in items), default=(1, 1, ""))


def most_urgent(
    items: Iterable[T], count: int, *, handled: Callable[[T], bool] | None = None
) -> Sequence[T]:
    """The `count` most urgent items, leaving out those someone has already handled."""
    waiting = [item for item in items if not (handled and handled(item))]
    return sorted(waiting, key=most_urgent_first)[:count]
