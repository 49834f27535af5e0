"""Pipelines: the definitions, each drawn as a diagram with its limits, ladder and fields."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from states.access import Access
from taskforce.web import boards, diagram, i18n, render
from taskforce.web.context import web_of
from taskforce.web.guard import declared, page
from taskforce.web.pages.board import names
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)


@router.get("/pipelines", name="pipelines", **declared(Access.SIGNED_IN))
def pipeline_list(
    request: Request, viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))]
) -> Response:
    catalogue = web_of(request).installation.catalogue
    versions: dict[str, list[int]] = {}
    for pipeline in catalogue.all():
        versions.setdefault(pipeline.key, []).append(pipeline.version)
    return render.page(
        request,
        "pipelines.html.j2",
        {"pipelines": catalogue.latest_all(), "versions": versions},
    )


@router.get("/pipelines/{pipeline_key}", name="pipeline", **declared(Access.SIGNED_IN))
def pipeline_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    pipeline_key: str,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    catalogue = web_of(request).installation.catalogue
    pipeline = catalogue.get(pipeline_key, version)  # unknown: NotFoundError, 404
    language = render.language_of(request)
    t = i18n.translator(language)
    versions = sorted(p.version for p in catalogue.all() if p.key == pipeline.key)
    return render.page(
        request,
        "pipeline.html.j2",
        {
            "pipeline": pipeline,
            "stages": boards.stage_order(pipeline),
            "versions": versions,
            "latest": versions[-1],
            # The diagram escapes every text itself.
            "diagram_svg": Markup(diagram.svg(pipeline, t, language)),  # nosec B704
            "time_limits": {
                stage.key: diagram.time_limit_text(stage, t, language) for stage in pipeline.stages
            },
            **names(language),
        },
    )
