"""The working paper as a download from the board: XLSX, DOCX or CSV, of the viewer's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from states.access import Access
from states.actors import FEDERAL
from states.errors import NotFoundError
from taskforce.web import render
from taskforce.web.context import web_of
from taskforce.web.details import scope_of
from taskforce.web.guard import declared, page
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)


@router.get("/board/matrix.{fmt}", name="working_paper", **declared(Access.BOARD))
def working_paper(
    request: Request,
    fmt: str,
    viewer: Annotated[Viewer, Depends(page(Access.BOARD))],
    lang: Annotated[str | None, Query(max_length=2)] = None,
) -> Response:
    """Every decision in the viewer's jurisdiction as the meeting's working paper."""
    from db import matrix
    from notifications import working_paper as paper

    if fmt not in {kind.value for kind in paper.PaperFormat}:
        raise NotFoundError(
            f"no working paper as {fmt!r}; there are {', '.join(paper.known_formats())}"
        )
    paper_format = paper.PaperFormat(fmt)
    language = lang if lang in ("en", "ur") else render.language_of(request)
    web = web_of(request)
    installation = web.installation
    with web.reading() as session:
        data = matrix.build(
            session,
            installation.catalogue,
            installation.calendar,
            now=web.now(),
            scope=scope_of(viewer) or FEDERAL,
        )
    name = paper.file_name(data, paper_format, language)
    return Response(
        content=paper.render(data, paper_format, language),
        media_type=paper.MEDIA_TYPES[paper_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
