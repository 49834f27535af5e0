"""The board: every commitment in the viewer's scope by pipeline stage and province."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from db import attention
from notifications import formatting
from states.access import Access
from states.calendar import local_day
from states.paging import CURSOR_MAX, PAGE_SIZE_MAX, Order, page_size, read_cursor
from states.text import SEARCH_MAX
from taskforce.web import archive, boards, i18n, render, saved_views
from taskforce.web.context import web_of
from taskforce.web.guard import declared, page
from taskforce.web.paging import paging_links
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)


def names(language: str) -> dict[str, object]:
    """Template helpers that write places, departments and roles in the reader's language."""
    return {
        "place": partial(formatting.jurisdiction, language=language),
        "department_name": partial(formatting.department, language=language),
        "role_name": partial(formatting.role, language=language),
    }


@router.get("/board", name="board", **declared(Access.BOARD))
def board(
    request: Request,
    viewer: Annotated[Viewer, Depends(page(Access.BOARD))],
    pipeline: Annotated[str | None, Query(max_length=64)] = None,
    jurisdiction: Annotated[str | None, Query(max_length=100)] = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
    stalled: Annotated[str | None, Query(max_length=10)] = None,
    q: Annotated[str | None, Query(max_length=SEARCH_MAX)] = None,
    after: Annotated[str | None, Query(max_length=CURSOR_MAX)] = None,
    before: Annotated[str | None, Query(max_length=CURSOR_MAX)] = None,
    size: Annotated[int | None, Query(ge=1, le=PAGE_SIZE_MAX)] = None,
) -> Response:
    position = read_cursor(after, Order.URGENCY, name="after") if after else None
    back = read_cursor(before, Order.URGENCY, name="before") if before else None
    web = web_of(request)
    installation = web.installation
    language = render.language_of(request)
    t = i18n.translator(language)
    wanted, problems = boards.parse_filter(
        installation.catalogue,
        viewer,
        pipeline=pipeline,
        jurisdiction=jurisdiction,
        department=department,
        stalled=stalled,
        q=q,
    )
    with web.reading() as session:
        shown = boards.read_board(
            session,
            installation.catalogue,
            installation.calendar,
            viewer,
            wanted,
            now=web.now(),
            after=position,
            before=back,
            limit=page_size(size),
        )
        latest = archive.latest(session, viewer, now=web.now())
        # The level a card shows is the one actually escalated, and an answered stall says so.
        answers = attention.answers_by_key(
            session,
            [card.key for lane in shown.lanes for cards in lane.cells.values() for card in cards],
            today=local_day(web.now()),
        )
    unknown = boards.unknown_department(shown)
    if unknown is not None:
        problems.append(unknown)
    context = {
        "board": shown,
        "asked": {
            "pipeline": pipeline or "",
            "jurisdiction": jurisdiction or "",
            "department": department or "",
            "stalled": shown.filter.stalled,
            "q": q or "",
        },
        "views": saved_views.offered(viewer),
        "pages": paging_links(
            "/board", shown.filter.query(), size, after or before, shown.next, shown.previous
        ),
        "problems": boards.problem_text(problems, t),
        "latest": latest,
        "answers": answers,
        # The charts escape every label themselves (taskforce/web/charts.py).
        "overdue_svg": Markup(boards.overdue_chart(shown, t, language)),  # nosec B704
        "completed_svg": Markup(boards.completed_chart(shown, t, language)),  # nosec B704
        "week_label": partial(boards.week_label, language=language),
        **names(language),
    }
    return render.page(request, "board.html.j2", context, status=400 if problems else 200)
