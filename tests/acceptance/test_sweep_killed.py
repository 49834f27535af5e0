"""The sweep killed (SIGKILL) at random points over a few thousand stalled commitments.

Each batch of escalations commits with its messages, and the unique constraint on
(commitment, stall episode, level) makes a rerun skip what is recorded. So however
often the sweep dies, a full sweep afterwards leaves exactly what one clean sweep
of the same data leaves: no escalation lost, none twice, one message per recipient.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from db import pipelines
from db.engine import make_engine, session_factory, transaction
from db.loading import load_meeting
from db.models import Commitment, Escalation, OutboxMessage
from db.sweep import run_sweep
from states.calendar import WorkingCalendar
from states.meeting import load_meeting_file
from taskforce.app import open_app
from taskforce.data import BUNDLED_MEETING
from taskforce.settings import Settings

pytestmark = pytest.mark.slow

TASKFORCE = Path(sys.executable).parent / "taskforce"
LOADED_AT = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)
SWEEP_AT = datetime(2026, 9, 14, 6, 0, tzinfo=UTC)  # a past Monday: the sweep records
SWEEP_ARG = "2026-09-14T11:00"  # the same moment in Pakistan time
COPIES = 100  # of each top-level commitment without children
KILLS = 10
WAIT_SECONDS = 120

# Every top-level commitment without children, copied COPIES times with its events:
# keys CMB-PUNJAB.1, CMB-PUNJAB.2, ... (no bundled key holds a dot).
COPY_COMMITMENTS = """
INSERT INTO commitments (key, title, pipeline_key, pipeline_version, jurisdiction, department,
    officer_id, meeting_id, agenda_item, parent_id, stage, stage_entered_at, start_date,
    deadline, status, fields, created_at, closed_at, due_at, stage_seq, snoozed_until,
    exempt, version)
WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < :copies)
SELECT c.key || '.' || CAST(copies.n AS TEXT), c.title, c.pipeline_key, c.pipeline_version,
    c.jurisdiction, c.department, c.officer_id, c.meeting_id, c.agenda_item, NULL, c.stage,
    c.stage_entered_at, c.start_date, c.deadline, c.status, c.fields, c.created_at,
    c.closed_at, c.due_at, c.stage_seq, c.snoozed_until, c.exempt, c.version
FROM commitments c CROSS JOIN copies
WHERE c.parent_id IS NULL
    AND NOT EXISTS (SELECT 1 FROM commitments k WHERE k.parent_id = c.id)
"""
COPY_EVENTS = """
INSERT INTO events (commitment_id, seq, kind, at, effective_at, actor_email, actor_role,
    action, from_stage, to_stage, fields, comment)
SELECT copy.id, e.seq, e.kind, e.at, e.effective_at, e.actor_email, e.actor_role, e.action,
    e.from_stage, e.to_stage, e.fields, e.comment
FROM commitments copy
JOIN commitments source ON copy.key LIKE source.key || '.%' AND source.key NOT LIKE '%.%'
JOIN events e ON e.commitment_id = source.id
"""


def _populate(url: str) -> None:
    installation = open_app(Settings(database_url=url), migrate_schema=True)
    try:
        with transaction(installation.sessions) as session:
            meeting = load_meeting_file(BUNDLED_MEETING)
            load_meeting(session, installation.catalogue, meeting, now=LOADED_AT)
            session.execute(text(COPY_COMMITMENTS), {"copies": COPIES})
            session.execute(text(COPY_EVENTS))
    finally:
        installation.close()


@pytest.fixture
def twins(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two databases holding the same few thousand commitments: one to kill sweeps on, one
    swept once, cleanly, as the reference."""
    _populate(database_url)
    if database_url.startswith("sqlite"):
        # The populating engine is closed, so the WAL is checkpointed into the file.
        reference = tmp_path / "reference.sqlite3"
        shutil.copyfile(database_url.removeprefix("sqlite:///"), reference)
        yield database_url, f"sqlite:///{reference}"
        return
    server = make_engine(database_url.rsplit("/", 1)[0] + "/postgres")
    name = f"reference_{uuid.uuid4().hex}"
    source = database_url.rsplit("/", 1)[1]
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    try:
        yield database_url, database_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def _sweep_command(url: str, cwd: Path, at: str = SWEEP_ARG) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORCE_")}
    env.pop("PREFECT_API_URL", None)
    env["TASKFORCE_DATABASE_URL"] = url
    return subprocess.Popen(
        [str(TASKFORCE), "sweep", "--direct", "--json", "--now", at],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _recorded(sessions: sessionmaker[Session]) -> tuple[Counter[tuple[object, ...]], ...]:
    """Escalations by (key, episode, level, role, recipients), messages by (key, level, to)."""
    with sessions() as session:
        escalations = Counter(
            (key, seq, level, role, tuple(sorted(recipients)))
            for key, seq, level, role, recipients in session.execute(
                select(
                    Commitment.key,
                    Escalation.stage_seq,
                    Escalation.level,
                    Escalation.role,
                    Escalation.recipients,
                ).join(Commitment, Commitment.id == Escalation.commitment_id)
            )
        )
        messages = Counter(
            (key, level, email)
            for key, level, email in session.execute(
                select(Commitment.key, Escalation.level, OutboxMessage.recipient_email)
                .join(Escalation, Escalation.id == OutboxMessage.escalation_id)
                .join(Commitment, Commitment.id == Escalation.commitment_id)
            )
        )
    return escalations, messages


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Escalation)) or 0


def test_a_sweep_killed_again_and_again_loses_and_repeats_nothing(
    twins: tuple[str, str], tmp_path: Path
) -> None:
    victim, reference = twins
    # The clean sweep first: the reference, and how long the work itself takes.
    clean = make_engine(reference)
    try:
        cleanly = session_factory(clean)
        with cleanly() as session:
            catalogue = pipelines.registered(session)
        began = time.monotonic()
        report = run_sweep(cleanly, catalogue, WorkingCalendar(), now=SWEEP_AT)
        work = time.monotonic() - began
        expected = _recorded(cleanly)
    finally:
        clean.dispose()
    # How long the command takes to start: a sweep as of a day when nothing was due.
    began = time.monotonic()
    idle = _sweep_command(victim, tmp_path, at="2001-01-01")
    assert idle.wait(timeout=WAIT_SECONDS) == 0
    if idle.stderr:
        idle.stderr.close()
    start_up = time.monotonic() - began

    engine = make_engine(victim)
    chance = random.Random(20)
    total = len(expected[0])
    kills, landed_mid_sweep, finished_alone = 0, 0, 0
    progress = [0]
    started = time.monotonic()
    try:
        while kills < KILLS and not finished_alone:
            # Two kills in three once the sweep has recorded past a random point (then at
            # once, inside the next batch: a batch of 500 takes a fraction of a second, so
            # waiting longer lets a fast machine finish the sweep first); the target stays in
            # the first three quarters so batches remain to be killed in. The third kill comes
            # at a random moment of start-up.
            target = None
            if kills % 3 and progress[-1] < total * 3 // 4:
                target = chance.randint(progress[-1] + 1, total * 3 // 4)
            deadline = time.monotonic() + chance.uniform(0.3, start_up)
            sweep = _sweep_command(victim, tmp_path)
            while sweep.poll() is None:
                if target is None and time.monotonic() >= deadline:
                    break
                if target is not None and _count(engine) >= target:
                    time.sleep(chance.uniform(0, 0.02))
                    break
                time.sleep(0.01)
            if sweep.poll() is None:
                sweep.send_signal(signal.SIGKILL)
                sweep.wait(timeout=WAIT_SECONDS)
                kills += 1
            else:
                assert sweep.returncode == 0, sweep.stderr.read() if sweep.stderr else ""
                finished_alone += 1
            if sweep.stderr:
                sweep.stderr.close()
            progress.append(_count(engine))
            landed_mid_sweep += sweep.returncode != 0 and progress[-1] > progress[-2]
        killing = time.monotonic() - started

        final = _sweep_command(victim, tmp_path)
        assert final.wait(timeout=WAIT_SECONDS) == 0, final.stderr.read() if final.stderr else ""
        if final.stderr:
            final.stderr.close()
        got = _recorded(session_factory(engine))
    finally:
        engine.dispose()

    expected_escalations, expected_messages = expected
    got_escalations, got_messages = got
    assert report.stalled > 1500
    assert kills == KILLS or finished_alone
    assert landed_mid_sweep > 0, f"no kill landed mid-sweep: {progress}"
    assert set(got_escalations) == set(expected_escalations), "an escalation was lost or added"
    assert max(got_escalations.values()) == 1, "an escalation was recorded twice"
    assert set(got_messages) == set(expected_messages), "a message was lost or added"
    assert max(got_messages.values()) == 1, "a message was queued twice"
    print(
        f"\nsweep killed on {victim.split(':')[0]}: {kills} kills ({landed_mid_sweep} mid-sweep,"
        f" {finished_alone} finished first) in {killing:.1f} s (start-up {start_up:.1f} s,"
        f" sweep {work:.1f} s); escalations after each:"
        f" {progress[1:]}; {report.stalled} stalled, {len(expected_escalations)} escalations,"
        f" {sum(expected_messages.values())} messages; lost 0, duplicated 0"
    )
