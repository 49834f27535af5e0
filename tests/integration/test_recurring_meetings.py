"""Provincial task forces as a recurring duty: a meeting each quarter, a gap escalated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from db import workflow
from db.sweep import SweepReport
from states.catalogue import Catalogue
from states.errors import FieldError

OFFICER = "hr.officer.sindh@example.org"
Q2 = {"quarter": "Q2 2026", "meeting_on": "2026-06-14", "minutes_reference": "PTF-S/2026/2"}


def test_each_quarters_meeting_is_recorded_and_the_duty_waits_for_the_next(
    loaded: Catalogue,
    advance: Callable[..., workflow.Advanced],
    stored: Callable[..., dict[str, Any]],
) -> None:
    first = advance("PTF-SINDH", "record_meeting", OFFICER, fields=Q2)
    again = advance(
        "PTF-SINDH",
        "record_meeting",
        OFFICER,
        fields={**Q2, "minutes_reference": "PTF-S/2026/3"},
    )

    assert (first.commitment.stage, again.commitment.stage) == ("meeting_held", "meeting_held")
    after = stored("PTF-SINDH")
    assert after["status"] == "open"
    assert after["fields"]["minutes_reference"] == "PTF-S/2026/3"
    # Each meeting is its own entry in the history, with what was recorded for it.
    meetings = [e for e in after["history"] if e["action"] == "record_meeting"]
    assert [e["fields"]["minutes_reference"] for e in meetings] == ["PTF-S/2026/2", "PTF-S/2026/3"]
    assert meetings[1]["from"] == meetings[1]["to"] == "meeting_held"


def test_a_meeting_needs_its_quarter_date_and_minutes(
    loaded: Catalogue, advance: Callable[..., workflow.Advanced]
) -> None:
    with pytest.raises(FieldError, match="minutes_reference"):
        advance("PTF-SINDH", "record_meeting", OFFICER, fields={"quarter": "Q2 2026"})
    with pytest.raises(FieldError, match="does not match the expected form"):
        advance("PTF-SINDH", "record_meeting", OFFICER, fields={**Q2, "quarter": "2026 Q2"})


def test_three_months_without_a_meeting_is_a_stall_escalated_like_any_other(
    loaded: Catalogue,
    advance: Callable[..., workflow.Advanced],
    sweep: Callable[..., SweepReport],
) -> None:
    advance("PTF-SINDH", "record_meeting", OFFICER, fields=Q2)

    in_time = sweep(datetime(2026, 9, 10, 5, 0, tzinfo=UTC))
    assert "PTF-SINDH" not in {n.key for n in in_time.escalations}

    late = sweep(datetime(2026, 9, 16, 5, 0, tzinfo=UTC))
    rungs = [(n.level, n.recipients) for n in late.escalations if n.key == "PTF-SINDH"]
    assert rungs == [(1, (OFFICER,))]
