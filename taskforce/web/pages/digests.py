"""Digests: the archive of those the viewer may read, and one digest as it was recorded."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from notifications import formatting
from states.access import Access
from taskforce.web import archive, charts, i18n, render
from taskforce.web.context import web_of
from taskforce.web.guard import declared, page
from taskforce.web.pages.board import names
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)


@router.get("/digests", name="digests", **declared(Access.BOARD))
def digest_archive(
    request: Request,
    viewer: Annotated[Viewer, Depends(page(Access.BOARD))],
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> Response:
    web = web_of(request)
    with web.reading() as session:
        found = archive.archive(session, viewer, page=page_number)
    language = render.language_of(request)
    return render.page(request, "digests.html.j2", {"archive": found, **names(language)})


@router.get("/digests/{digest_id}", name="digest", **declared(Access.DIGEST))
def digest_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(page(Access.BOARD))],
    digest_id: int,
) -> Response:
    web = web_of(request)
    with web.reading() as session:
        found = archive.reading(session, viewer, digest_id)
    language = render.language_of(request)
    t = i18n.translator(language)
    content = found.entry.content
    bars = [
        charts.Bar(formatting.jurisdiction(province, language), count)
        for province, count in content.overdue_by_province.items()
    ]
    chart = charts.bar_chart(bars, title=t("Overdue items by province"), rtl=language == "ur")
    worsened = {w.key: w for w in content.changes.worsened} if content.changes else {}
    new = set(content.changes.new) if content.changes else set()
    return render.page(
        request,
        "digest.html.j2",
        {
            "reading": found,
            "digest": found.entry.digest,
            "content": content,
            # The chart escapes every label itself.
            "chart_svg": Markup(chart),  # nosec B704
            "worsened": worsened,
            "new": new,
            **names(language),
        },
    )
