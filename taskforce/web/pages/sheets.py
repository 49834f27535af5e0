"""The province's sheet as a download from the board: the viewer's open commitments to fill."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from states.access import Access
from states.calendar import local_day
from taskforce.web.context import web_of
from taskforce.web.guard import declared, page
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/board/sheet.xlsx", name="province_sheet", **declared(Access.BOARD))
def province_sheet(
    request: Request, viewer: Annotated[Viewer, Depends(page(Access.BOARD))]
) -> Response:
    """The viewer's jurisdiction's open commitments, pre-filled, for `taskforce import sheet`."""
    from db import sheets as sheet_store
    from taskforce.sheets import workbook

    web = web_of(request)
    scope = viewer.jurisdiction  # federal: the federal items; a province: with its districts
    made_at = web.now()
    with web.reading() as session:
        found = sheet_store.lines(session, web.installation.catalogue, scope)
    name = f"{scope.replace('/', '-')}-{local_day(made_at).isoformat()}.xlsx"
    return Response(
        content=workbook(found, scope=scope, made_at=made_at),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
