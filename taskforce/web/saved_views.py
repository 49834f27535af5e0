"""Named views of the board: a filter with a name, offered as a link.

Every filter, the search and the page live in the board's address, so any view can
be bookmarked or sent; these few are the ones people ask for most, defined here
once. A view naming a place is offered only to those whose jurisdiction covers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from states.actors import PROVINCES, covers
from taskforce.web.i18n import N_
from taskforce.web.viewer import Viewer


@dataclass(frozen=True)
class SavedView:
    """A name (in English, translated by the page; or a place, named by the page in the
    reader's language) and the board's query for it."""

    name: str
    query: tuple[tuple[str, str], ...]
    is_place: bool = False

    @property
    def href(self) -> str:
        return "/board?" + urlencode(self.query)

    def offered_to(self, viewer: Viewer) -> bool:
        place = dict(self.query).get("jurisdiction")
        return place is None or covers(viewer.jurisdiction, place)


VIEWS = (
    SavedView(N_("Overdue"), (("stalled", "1"),)),
    SavedView(N_("Bills"), (("pipeline", "provincial_bill"),)),
    SavedView(N_("Child marriage (SDG 5.3)"), (("q", "sdg:5.3"),)),
    *(SavedView(p, (("jurisdiction", p),), is_place=True) for p in PROVINCES),
)


def offered(viewer: Viewer) -> tuple[SavedView, ...]:
    """The views `viewer` may open."""
    return tuple(view for view in VIEWS if view.offered_to(viewer))
