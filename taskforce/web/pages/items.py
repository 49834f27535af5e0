"""The start page and "My items": what a person holds, overdue first, with what they can do next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from db import queries, waiting, workflow
from db.models import Commitment
from states import rules
from states.access import Access
from states.rules import ActionOption
from states.waiting import Holder
from taskforce.app import App
from taskforce.web import details, render
from taskforce.web.context import web_of
from taskforce.web.details import Timing
from taskforce.web.guard import declared, page
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Item:
    """One line of "My items"."""

    commitment: Commitment
    stage_title: str
    timing: Timing
    options: list[ActionOption]
    waiting_on: tuple[Holder, ...] = ()


@dataclass(frozen=True)
class Items:
    """What the page lists, and whether these are held items or the jurisdiction's open ones."""

    items: list[Item]
    held: bool


def _urgency(item: Item) -> tuple[int, int, int, str]:
    """Overdue first (longest overdue at the top), then the least time left, then by key."""
    timing = item.timing
    if timing.overdue_days is not None:
        return (0, -timing.overdue_days, 0, item.commitment.key)
    if timing.working_days_left is not None:
        return (1, 0, timing.working_days_left, item.commitment.key)
    return (2, 0, 0, item.commitment.key)


def items_of(session: Session, installation: App, viewer: Viewer, now: datetime) -> Items:
    """The open commitments `viewer` holds; for an overseer holding none, their jurisdiction's."""
    held = queries.list_commitments(
        session, queries.CommitmentFilter(status="open", officer_email=viewer.email)
    )
    mine = bool(held) or not viewer.oversees
    listed = (
        held
        if mine
        else queries.list_commitments(
            session, queries.CommitmentFilter(status="open", jurisdiction=details.scope_of(viewer))
        )
    )
    result = []
    people = waiting.holders(session)
    for commitment in listed:
        pipeline = installation.catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
        result.append(
            Item(
                commitment=commitment,
                stage_title=pipeline.stage(commitment.stage).title,
                timing=details.timing(installation, commitment, now),
                options=rules.options(pipeline, workflow.state_of(commitment), viewer.actor),
                waiting_on=waiting.waiting_on(installation.catalogue, commitment, people),
            )
        )
    return Items(items=sorted(result, key=_urgency), held=mine)


@router.get("/", name="start", **declared(Access.SIGNED_IN))
def start(viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))]) -> Response:
    """Overseers start on the board, everyone else on their own items."""
    return RedirectResponse("/board" if viewer.oversees else "/items", status_code=303)


@router.get("/items", name="my_items", **declared(Access.SIGNED_IN))
def my_items(
    request: Request, viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))]
) -> Response:
    web = web_of(request)
    with web.transaction() as session:
        listing = items_of(session, web.installation, viewer, web.now())
        return render.page(request, "items.html.j2", {"listing": listing})
