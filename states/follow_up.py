"""What a commitment completing in a stage with `follow_up` starts: an enacted bill's rules
and bodies, as a child commitment of its own.

Pure: the workflow service asks `follow_up` when a move ends in such a stage and stores
what it returns in the same transaction as the move.
"""

from __future__ import annotations

from dataclasses import dataclass

from states.definition import Pipeline
from states.errors import ConflictError
from states.message import Message
from states.rules import CommitmentState, Status, action_term
from states.text import KEY_MAX, TITLE_MAX

SUFFIX = "-ACT"
"""The follow-up's key is its parent's and this: CMB-PUNJAB-ACT."""


class FollowUpRefusedError(ConflictError):
    """The follow-up a completing move must start cannot be started, so nothing moves."""


@dataclass(frozen=True)
class FollowUp:
    """The commitment to start beside a completing move."""

    key: str
    pipeline: str
    title: str
    title_ur: str
    reason: str


def follow_up_key(key: str) -> str:
    """The key of the follow-up of commitment `key`."""
    return f"{key}{SUFFIX}"


def follow_up(
    pipeline: Pipeline,
    state: CommitmentState,
    follow: Pipeline,
    *,
    title: str,
    title_ur: str | None,
    action: str,
) -> FollowUp | None:
    """The follow-up `state` starts, having just completed on `pipeline` by `action`, or
    None when its stage starts none. `follow` is the pipeline the stage names; the titles
    are the completed commitment's.

    The follow-up's title is `follow`'s title and the commitment's, in each language; the
    reason names the stage reached and the values it required (an act's number and its
    gazette notification).
    """
    stage = pipeline.stage(state.stage)
    if stage.follow_up is None or state.status is not Status.COMPLETED:
        return None
    key = follow_up_key(state.key)
    if len(key) > KEY_MAX:
        raise FollowUpRefusedError(
            Message(
                "Can't {action} {key}: its follow-up would be keyed {follow_up}, longer than"
                " {limit} characters",
                action=action_term(pipeline, action),
                key=state.key,
                follow_up=key,
                limit=KEY_MAX,
            )
        )
    given = "; ".join(
        f"{pipeline.fields[name].title.en}: {state.fields[name]}"
        for name in stage.requires
        if state.fields.get(name)
    )
    reached = f"{state.key} reached {stage.title.en}"
    return FollowUp(
        key=key,
        pipeline=follow.key,
        title=_joined(follow.title.en, title),
        title_ur=_joined(follow.title.ur or follow.title.en, title_ur or title),
        reason=f"{reached} ({given})" if given else reached,
    )


def taken_refusal(pipeline: Pipeline, state: CommitmentState, action: str) -> FollowUpRefusedError:
    """The refusal of a completing move whose follow-up's key another commitment holds."""
    return FollowUpRefusedError(
        Message(
            "Can't {action} {key}: it would start its follow-up {follow_up}, but another"
            " commitment already has that key; nothing was moved",
            action=action_term(pipeline, action),
            key=state.key,
            follow_up=follow_up_key(state.key),
        )
    )


def _joined(prefix: str, title: str) -> str:
    """`prefix: title`, cut to the longest title a commitment may have."""
    joined = f"{prefix}: {title}"
    return joined if len(joined) <= TITLE_MAX else joined[: TITLE_MAX - 1].rstrip() + "…"
