"""The working paper from the board, of the viewer's scope: a printable page, or a download.

`/board/matrix.html` is the page the PDF is printed from; `/board/matrix.{xlsx,docx,csv,pdf}`
are the files. Both take `lang=en|ur`, else the viewer's own language.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import HTMLResponse, Response

from states.access import Access
from states.actors import FEDERAL
from states.errors import NotFoundError
from taskforce.web import render
from taskforce.web.context import web_of
from taskforce.web.details import scope_of
from taskforce.web.guard import declared, page
from taskforce.web.security import CONTENT_SECURITY_POLICY
from taskforce.web.viewer import Viewer

if TYPE_CHECKING:
    from db.matrix import Matrix

router = APIRouter(include_in_schema=False)

BoardViewer = Annotated[Viewer, Depends(page(Access.BOARD))]
Language = Annotated[str | None, Query(max_length=2)]


# Declared before the downloads: `matrix.{fmt}` would otherwise take "html" too.
@router.get("/board/matrix.html", name="working_paper_page", **declared(Access.BOARD))
def working_paper_page(request: Request, viewer: BoardViewer, lang: Language = None) -> Response:
    """The working paper as one printable page: the same HTML the PDF is printed from."""
    from notifications import paper_print

    data = _matrix(request, viewer)
    # The page's one inline stylesheet is allowed by a nonce; no other inline style is.
    nonce = secrets.token_urlsafe(16)
    policy = CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", f"style-src 'self' 'nonce-{nonce}'"
    )
    return HTMLResponse(
        paper_print.to_html(data, _language(request, lang), style_nonce=nonce),
        headers={"Content-Security-Policy": policy},
    )


@router.get("/board/matrix.{fmt}", name="working_paper", **declared(Access.BOARD))
def working_paper(
    request: Request, fmt: str, viewer: BoardViewer, lang: Language = None
) -> Response:
    """Every decision in the viewer's jurisdiction as the meeting's working paper."""
    from notifications import working_paper as paper

    if fmt not in {kind.value for kind in paper.PaperFormat}:
        raise NotFoundError(
            f"no working paper as {fmt!r}; there are html, {', '.join(paper.known_formats())}"
        )
    paper_format = paper.PaperFormat(fmt)
    language = _language(request, lang)
    data = _matrix(request, viewer)
    name = paper.file_name(data, paper_format, language)
    return Response(
        content=paper.render(data, paper_format, language),
        media_type=paper.MEDIA_TYPES[paper_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _language(request: Request, lang: str | None) -> str:
    return lang if lang in ("en", "ur") else render.language_of(request)


def _matrix(request: Request, viewer: Viewer) -> Matrix:
    from db import matrix

    web = web_of(request)
    installation = web.installation
    with web.reading() as session:
        return matrix.build(
            session,
            installation.catalogue,
            installation.calendar,
            now=web.now(),
            scope=scope_of(viewer) or FEDERAL,
        )
