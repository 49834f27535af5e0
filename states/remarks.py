"""Remarks: what happened between moves, recorded without moving anything.

A remark is an event of kind `note` in the commitment's history. It leaves the
stage, the stage clock, the due time, the stall episode and the commitment's
`version` as they were: a form someone has open on the page is not made stale by
a remark beside it. Anyone who may see the item may remark on it, open or closed
(a gazette notification often arrives after the item has ended).
"""

from __future__ import annotations

from datetime import datetime

from states.access import Access, allows
from states.actors import Actor
from states.errors import CommentRequiredError, FieldError, RoleNotAllowedError
from states.message import Message, place
from states.rules import CommitmentState, Event, EventKind
from states.text import COMMENT

ACTION = "note"


def note(
    state: CommitmentState, actor: Actor, *, text: str, now: datetime, with_files: bool = False
) -> Event:
    """The `note` event for a remark `text` by `actor`, or the error that says why not.

    `with_files`: files come with the remark, so it may be empty of text.
    """
    where = {"key": state.key, "stage": state.stage, "action": ACTION}
    if not allows(Access.ITEM, actor, jurisdiction=state.jurisdiction):
        raise RoleNotAllowedError(
            Message(
                "Can't add a remark to {key}: it belongs to {jurisdiction} and {email} acts for"
                " {own}",
                key=state.key,
                jurisdiction=place(state.jurisdiction),
                email=actor.email,
                own=place(actor.jurisdiction),
            ),
            **where,
        )
    cleaned = text.strip()
    if not cleaned and not with_files:
        raise CommentRequiredError(
            Message("Can't add a remark to {key}: the remark has no text", key=state.key),
            **where,
        )
    problem = COMMENT.problem(cleaned)
    if problem:
        problem = Message("the text {problem}", problem=problem)
        raise FieldError(
            Message("Can't add a remark to {key}: {problem}", key=state.key, problem=problem),
            fields=["text"],
            problems={"text": problem},
            **where,
        )
    return Event(
        kind=EventKind.NOTE,
        at=now,
        actor_email=actor.email,
        actor_role=actor.role,
        action=ACTION,
        from_stage=state.stage,
        to_stage=state.stage,
        fields={},
        comment=cleaned or None,
    )
