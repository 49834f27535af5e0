"""The start page and "My items": what a person holds, overdue first, with what they can do next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from db import attention, queries, waiting, workflow
from db.attention import Answers
from db.models import Commitment
from states import rules
from states.access import Access
from states.calendar import local_day
from states.escalation import may_answer_any
from states.localtext import LocalText
from states.paging import (
    CURSOR_MAX,
    PAGE_SIZE,
    PAGE_SIZE_MAX,
    Order,
    Position,
    page_size,
    read_cursor,
)
from states.rules import ActionOption
from states.waiting import Holder
from taskforce.app import App
from taskforce.web import details, render
from taskforce.web.context import web_of
from taskforce.web.details import Timing
from taskforce.web.guard import declared, page
from taskforce.web.paging import paging_links
from taskforce.web.viewer import Viewer

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Item:
    """One line of "My items"."""

    commitment: Commitment
    stage_title: LocalText
    timing: Timing
    options: list[ActionOption]
    waiting_on: tuple[Holder, ...] = ()
    answers: Answers | None = None


@dataclass(frozen=True)
class Items:
    """What the page lists, and whether these are held items or the jurisdiction's open ones."""

    items: list[Item]
    held: bool
    next: Position | None = None  # where the next page starts; None on the last
    previous: Position | None = None  # the previous page ends before it; None on the first


def items_of(
    session: Session,
    installation: App,
    viewer: Viewer,
    now: datetime,
    *,
    after: Position | None = None,
    limit: int = PAGE_SIZE,
    before: Position | None = None,
) -> Items:
    """A page of the open commitments `viewer` holds, the most urgent first (states/paging.py);
    for an overseer holding none, of their jurisdiction's."""
    held = queries.CommitmentFilter(status="open", officer_id=viewer.person_id)
    mine = not viewer.oversees or queries.count_commitments(session, held, at_most=1) > 0
    wanted = (
        held
        if mine
        else queries.CommitmentFilter(status="open", jurisdiction=details.scope_of(viewer))
    )
    page = queries.page_by_urgency(session, wanted, after=after, before=before, limit=limit)
    result = []
    people = waiting.holders(session)
    # One read for the whole page, not one per card.
    answers = attention.answers_of(session, page.rows, today=local_day(now))
    for commitment in page.rows:
        pipeline = installation.catalogue.get(commitment.pipeline_key, commitment.pipeline_version)
        result.append(
            Item(
                commitment=commitment,
                stage_title=pipeline.stage(commitment.stage).title,
                timing=details.timing(installation, commitment, now),
                # The forward moves only: withdrawing or lapsing is on the item's own page.
                options=[
                    option
                    for option in rules.options(
                        pipeline, workflow.state_of(commitment), viewer.actor
                    )
                    if not pipeline.ends_otherwise(option.transition)
                ],
                answers=answers.get(commitment.id),
                waiting_on=waiting.waiting_on(installation.catalogue, commitment, people),
            )
        )
    return Items(items=result, held=mine, next=page.next, previous=page.previous)


@router.get("/", name="start", **declared(Access.SIGNED_IN))
def start(viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))]) -> Response:
    """Secretaries and above start on "Needs you", the administrator on the board, officers
    on their own items."""
    if may_answer_any(viewer.actor):
        return RedirectResponse("/needs-you", status_code=303)
    return RedirectResponse("/board" if viewer.oversees else "/items", status_code=303)


@router.get("/items", name="my_items", **declared(Access.SIGNED_IN))
def my_items(
    request: Request,
    viewer: Annotated[Viewer, Depends(page(Access.SIGNED_IN))],
    after: Annotated[str | None, Query(max_length=CURSOR_MAX)] = None,
    before: Annotated[str | None, Query(max_length=CURSOR_MAX)] = None,
    size: Annotated[int | None, Query(ge=1, le=PAGE_SIZE_MAX)] = None,
) -> Response:
    position = read_cursor(after, Order.URGENCY, name="after") if after else None
    back = read_cursor(before, Order.URGENCY, name="before") if before else None
    web = web_of(request)
    with web.reading() as session:
        listing = items_of(
            session,
            web.installation,
            viewer,
            web.now(),
            after=position,
            before=back,
            limit=page_size(size),
        )
        pages = paging_links("/items", {}, size, after or before, listing.next, listing.previous)
        return render.page(request, "items.html.j2", {"listing": listing, "pages": pages})
