"""Meeting files across meetings: starting at a stage, and what a restatement changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from states import continuity, rules
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.documents import parse_yaml
from states.errors import DefinitionError
from states.meeting import parse_meeting
from states.rules import CommitmentState, Status

BILL = Catalogue.from_directories([BUNDLED_PIPELINES]).latest("provincial_bill")
STARTED = datetime(2026, 6, 11, 19, 0, tzinfo=UTC)
NOW = datetime(2026, 9, 11, 5, 0, tzinfo=UTC)

UNDER_WAY = """\
meeting: {{key: ntf_9, title: 9th meeting, held_on: 2026-09-10}}
commitments:
  - key: PB-9
    title: A bill under way
    pipeline: provincial_bill
    jurisdiction: punjab
    department: law
{extra}
"""


def bill(status: Status = Status.OPEN) -> CommitmentState:
    return CommitmentState(
        key="PB-9",
        pipeline="provincial_bill",
        pipeline_version=BILL.version,
        jurisdiction="punjab",
        stage="drafting",
        status=status,
        stage_entered_at=STARTED,
    )


def test_a_file_gives_the_stage_the_day_it_was_reached_and_its_values() -> None:
    extra = """\
    start: 2026-08-01
    stage: introduced
    stage_entered: 2026-09-01
    fields: {bill_number: Bill No. 30, introduced_on: 2026-09-01, cabinet_decision: 41}"""
    spec = parse_meeting(parse_yaml(UNDER_WAY.format(extra=extra), "m.yaml")).commitments[0]

    assert (spec.stage, str(spec.stage_entered)) == ("introduced", "2026-09-01")
    assert spec.fields == {
        "bill_number": "Bill No. 30",
        "introduced_on": "2026-09-01",
        "cabinet_decision": "41",
    }


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        pytest.param(
            "    stage_entered: 2026-09-01",
            "commitments[0].stage_entered: stage_entered needs stage",
            id="date-without-stage",
        ),
        pytest.param(
            "    stage: introduced\n    stage_entered: 2026-09-01",
            "stage_entered 2026-09-01 is before the commitment's start (2026-09-10);"
            " give start: no later than 2026-09-01",
            id="before-the-start",
        ),
    ],
)
def test_a_starting_stage_the_file_gets_wrong_is_refused_with_its_line(
    extra: str, says: str
) -> None:
    with pytest.raises(DefinitionError) as refused:
        parse_meeting(parse_yaml(UNDER_WAY.format(extra=extra), "m.yaml"))

    assert says in refused.value.message


def test_resuming_at_a_stage_records_one_loaded_event_effective_that_day() -> None:
    entered = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)
    outcome = rules.resume(
        BILL,
        bill(),
        stage="introduced",
        fields={"bill_number": "Bill No. 30", "introduced_on": "2026-09-01"},
        entered_at=entered,
        now=NOW,
        source="meeting ntf_9",
    )

    assert (outcome.state.stage, outcome.state.stage_entered_at) == ("introduced", entered)
    event = outcome.event
    assert (event.kind, event.actor_email, event.at, event.effective_at) == (
        "loaded",
        "system",
        NOW,
        entered,
    )
    assert event.comment == "already at this stage when loaded from meeting ntf_9"


def restate(
    state: CommitmentState,
    *,
    meeting: str = "ntf_9",
    linked: frozenset[str] = frozenset(),
    deadline: str | None = "2027-03-31",
) -> continuity.Restatement:
    return continuity.restatement(
        state,
        meeting=meeting,
        origin="ntf_8",
        linked=linked,
        current={"deadline": "2026-12-12", "officer": "a@example.org"},
        stated={"deadline": deadline, "officer": "a@example.org"},
    )


def test_a_restatement_reiterates_once_and_amends_only_what_differs() -> None:
    first = restate(bill())
    again = restate(bill(), linked=frozenset({"ntf_9"}), deadline="2026-12-12")

    assert first == continuity.Restatement(
        reiterated=True, amended={"deadline": ("2026-12-12", "2027-03-31")}
    )
    assert not again.changed
    made = continuity.events(bill(), first, meeting="ntf_9", title="9th", now=NOW)
    assert [e.kind for e in made] == ["reiterated", "amended"]


def test_the_meeting_that_made_it_and_a_closed_commitment_are_not_amended() -> None:
    assert not restate(bill(), meeting="ntf_8").changed
    closed = restate(bill(Status.COMPLETED))
    assert closed.reiterated and not closed.amended
