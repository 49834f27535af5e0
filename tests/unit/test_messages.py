"""Engine messages: English as they always read, and in Urdu where a page asks for it."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from pathlib import Path

import pytest

from states import pipelines
from states.actors import Actor, Role
from states.catalogue import load_pipeline_file
from states.definition import Pipeline
from states.errors import ConflictError, FieldError, IllegalTransitionError, RoleNotAllowedError
from states.localtext import LocalText
from states.message import Listing, Message, Term, place
from states.rules import CommitmentState, Status, TransitionRequest, apply
from taskforce.web.i18n import say

NOW = datetime(2026, 7, 1, 9, tzinfo=UTC)
OFFICER = Actor(email="law.officer.punjab@example.org", role=Role.OFFICER, jurisdiction="punjab")


@pytest.fixture(scope="module")
def bill() -> Pipeline:
    return load_pipeline_file(Path(pipelines.__file__).parent / "provincial_bill.yaml")


def state(pipeline: Pipeline, stage: str) -> CommitmentState:
    return CommitmentState(
        key="CMB-PUNJAB",
        pipeline=pipeline.key,
        pipeline_version=pipeline.version,
        jurisdiction="punjab",
        stage=stage,
        status=Status.OPEN,
        stage_entered_at=NOW,
    )


def refusal(pipeline: Pipeline, stage: str, action: str, **fields: str) -> Exception:
    request = TransitionRequest(action=action, actor=OFFICER, fields=fields)
    with pytest.raises(Exception) as raised:
        apply(pipeline, state(pipeline, stage), request, now=NOW)
    return raised.value


def test_a_message_reads_as_the_english_it_always_was() -> None:
    message = Message(
        "Can't {action} {key}: it is in {stage}; allowed here: {allowed}",
        action=Term("approve", LocalText(en="Approve", ur="منظور کریں")),
        key="CMB-PUNJAB",
        stage=Term("drafting", LocalText(en="Drafting", ur="مسودہ سازی")),
        allowed=Listing(["send_for_vetting", "withdraw"]),
    )
    assert (
        message
        == "Can't approve CMB-PUNJAB: it is in drafting; allowed here: send_for_vetting, withdraw"
    )
    assert str(message) == message and type(str(message)) is str
    assert say(message, "en") == message
    assert pickle.loads(pickle.dumps(message)) == message


def test_a_refusal_keeps_its_english_and_says_titles_and_roles_in_urdu(bill: Pipeline) -> None:
    error = refusal(bill, "cabinet_approval", "approve_in_cabinet")
    assert isinstance(error, RoleNotAllowedError)
    assert error.message.startswith(
        "Can't approve_in_cabinet CMB-PUNJAB: law.officer.punjab@example.org is officer;"
    )
    urdu = say(error.text, "ur")
    assert "ممکن نہیں" in urdu and "افسر" in urdu  # can't; officer
    title = next(t.title for t in bill.transitions if t.action == "approve_in_cabinet")
    assert title.ur and title.ur in urdu
    assert "approve_in_cabinet" not in urdu and "this action is for" not in urdu


def test_an_action_not_open_lists_the_open_ones_by_their_urdu_titles(bill: Pipeline) -> None:
    error = refusal(bill, "drafting", "vet")
    assert isinstance(error, IllegalTransitionError)
    assert "allowed here: send_for_vetting" in error.message
    urdu = say(error.text, "ur")
    drafting = bill.stage("drafting").title.ur
    assert drafting and drafting in urdu
    assert "send_for_vetting" not in urdu and "، " in urdu  # the open actions, listed in Urdu


def test_each_field_problem_is_said_in_urdu(bill: Pipeline) -> None:
    error = refusal(bill, "law_vetting", "vet", nonsense="1")
    assert isinstance(error, FieldError)
    assert error.problems == {"nonsense": "is not a field of provincial_bill"}
    assert say(error.problems["nonsense"], "ur") == "\u2068provincial_bill\u2069 کا خانہ نہیں"


def test_a_conflict_and_a_place_in_urdu() -> None:
    conflict = ConflictError(
        Message(
            "{key} was changed by someone else while you were working;"
            " look at it again and retry if still needed",
            key="CMB-PUNJAB",
        )
    )
    assert conflict.message.startswith("CMB-PUNJAB was changed by someone else")
    assert "کسی اور نے" in say(conflict.text, "ur")
    assert say(Message("it belongs to {where}", where=place("punjab/lahore")), "en") == (
        "it belongs to punjab/lahore"
    )


def test_plain_text_nobody_marked_is_shown_as_it_is() -> None:
    assert say("no such thing", "ur") == "no such thing"
