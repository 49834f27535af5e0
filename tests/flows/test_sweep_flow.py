"""The sweep flow run by Prefect, on each kind of database, as a deployment would run it.

The rules are tested without Prefect (tests/integration); this checks the flow
itself: it opens the runtime it is given, its run completes, and it returns the
sweep's report, once under one temporary Prefect server for the whole session.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db import pipelines
from db.engine import transaction
from db.loading import load_meeting
from db.models import Escalation, OutboxMessage
from flows import runtime
from flows.sweep import sweep
from states.calendar import WorkingCalendar
from states.catalogue import BUNDLED_PIPELINES, Catalogue
from states.errors import ConfigurationError, DatabaseUnavailableError
from states.meeting import load_meeting_file
from taskforce.data import BUNDLED_MEETING

LOADED_AT = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)  # the day of the bundled meeting
# Monday 27 July 2026, 10:00 in Pakistan: the commissions, due within one month of
# the meeting, have been overdue long enough to reach the top of their ladder.
NOW = datetime(2026, 7, 27, 5, tzinfo=UTC)
COMMISSIONS = {"CSW-PUNJAB", "CSW-SINDH", "CSW-KP", "CSW-BALOCHISTAN"}
CHAIR = "chair@example.org"


def _not_configured() -> runtime.Runtime:
    raise ConfigurationError("no runtime: the test that configured one has ended")


@pytest.fixture
def installation(sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """The bundled pipelines and meeting in a new database, handed to the flows as their runtime."""
    with transaction(sessions) as session:
        pipelines.register(session, Catalogue.from_directories([BUNDLED_PIPELINES]), now=LOADED_AT)
        catalogue = pipelines.registered(session)
    with transaction(sessions) as session:
        load_meeting(session, catalogue, load_meeting_file(BUNDLED_MEETING), now=LOADED_AT)
    runtime.configure(
        lambda: runtime.Runtime(sessions=sessions, catalogue=catalogue, calendar=WorkingCalendar())
    )
    try:
        yield sessions
    finally:
        # The runtime is a process-wide global: leave none behind for the next test.
        runtime.configure(_not_configured)


def _recorded(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        escalations = session.scalar(select(func.count()).select_from(Escalation))
        messages = session.scalar(select(func.count()).select_from(OutboxMessage))
    return escalations or 0, messages or 0


def _run_sweep() -> dict[str, Any]:
    report, _ = _run_sweep_with_id()
    return report


def _run_sweep_with_id() -> tuple[dict[str, Any], UUID]:
    state = sweep(now=NOW, return_state=True)
    assert state.is_completed(), f"the flow run ended {state.name}: {state.message}"
    assert state.name == "Completed"
    report: dict[str, Any] = state.result()
    run_id = state.state_details.flow_run_id
    assert run_id is not None
    return report, run_id


def _named_and_reported(run_id: UUID) -> tuple[str, str]:
    """The run's name and the markdown of the report it left on the server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        name = client.read_flow_run(run_id).name
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    reports = [a for a in artifacts if a.key == "sweep-report"]
    assert len(reports) == 1, artifacts
    return name, str(reports[0].data)


def test_the_sweep_flow_escalates_the_overdue_commissions_to_the_chair_once(
    prefect_harness: None, installation: sessionmaker[Session]
) -> None:
    first, run_id = _run_sweep_with_id()

    assert first["now"] == NOW.isoformat()
    # What an operator sees in the UI: what ran as of when, and the escalations it made
    # by level and province (four commissions reached the chair, one in each province).
    name, report = _named_and_reported(run_id)
    assert name == "sweep 2026-07-27 10:00 PKT"
    assert f"{len(first['escalations'])} new escalations" in report
    for province in ("punjab", "sindh", "khyber_pakhtunkhwa", "balochistan"):
        assert re.search(rf"^\| 4 \| {province} \| [1-9]\d* \|$", report, re.MULTILINE), report
    to_chair = sorted(
        (n["key"], n["role"], n["recipients"])
        for n in first["escalations"]
        if n["key"] in COMMISSIONS and n["level"] == 4
    )
    assert to_chair == sorted((key, "chair", [CHAIR]) for key in COMMISSIONS)
    recorded = _recorded(installation)
    assert recorded[0] == len(first["escalations"]) > 0
    assert first["skipped_conflicts"] == []

    second = _run_sweep()

    assert second["escalations"] == []
    assert second["reminders"] == []
    assert second["stalled"] == first["stalled"]
    assert _recorded(installation) == recorded


def test_a_sweep_whose_database_is_down_at_the_start_is_tried_again_and_completes(
    prefect_harness: None, installation: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.sweep

    # The real delays are 10 s and more; the question is only whether the retry happens.
    monkeypatch.setattr(flows.sweep.sweep_commitments, "retry_delay_seconds", 0)
    monkeypatch.setattr(flows.sweep.sweep_commitments, "retry_jitter_factor", None)
    working = runtime.runtime()
    opened: list[str] = []

    def down_at_first() -> runtime.Runtime:
        opened.append("try")
        if len(opened) < 3:
            raise DatabaseUnavailableError("the database could not be reached: connection refused")
        return working

    runtime.configure(down_at_first)

    report = _run_sweep()

    assert len(opened) == 3
    assert len(report["escalations"]) == _recorded(installation)[0] > 0
