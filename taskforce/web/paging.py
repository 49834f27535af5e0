"""The links between a list's pages: the first page, and the next one from a cursor."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from states.paging import Position


@dataclass(frozen=True)
class PageLinks:
    """Where "First page", "Previous page" and "Next page" go; None when there is none."""

    first: str | None
    next: str | None
    previous: str | None = None


def paging_links(
    path: str,
    query: dict[str, str],
    size: int | None,
    after: str | None,
    following: Position | None,
    preceding: Position | None = None,
) -> PageLinks:
    """Links that keep the filter, the search and the page size, and move the cursor.

    `after` is true on any page but the first (reached by either cursor)."""
    kept = dict(query)
    if size is not None:
        kept["size"] = str(size)

    def link(extra: dict[str, str]) -> str:
        found = {**kept, **extra}
        return f"{path}?{urlencode(found)}" if found else path

    return PageLinks(
        first=link({}) if after else None,
        next=link({"after": following.cursor()}) if following else None,
        previous=link({"before": preceding.cursor()}) if preceding else None,
    )
