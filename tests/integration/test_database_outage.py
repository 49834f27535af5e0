"""PostgreSQL stopped or restarted under the command line, the workflow, the API and a sweep.

A lost database used to read as a bug (exit 70 and a page of SQL) or, at
connect, as a configuration error (exit 78). It is now DatabaseUnavailableError
everywhere: one line without SQL and exit 75 on the command line, 503 with
Retry-After on the web. Nothing is half-written, and the same process carries on
once the server is back (the pool's pre-ping replaces the dead connections).

These tests stop and start a server, so they run on one of their own, never on the
shared test server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from db import queries, tokens, workflow
from db.engine import transaction
from db.loading import load_meeting
from db.models import Commitment, Escalation, Event, OutboxMessage
from db.sweep import run_sweep
from states.errors import DatabaseUnavailableError
from states.meeting import load_meeting_file
from taskforce.app import App, open_app
from taskforce.data import BUNDLED_MEETING
from taskforce.settings import Settings
from taskforce.web.app import create_app

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
POSTGRES_SH = REPO / "tests" / "support" / "postgres.sh"
TASKFORCE = Path(sys.executable).parent / "taskforce"
PG_CTL_SECONDS = 60  # pg_ctl's own wait, stated rather than left to its default
COMMAND_SECONDS = 120
LOADED_AT = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)
SWEEP_AT = datetime(2026, 7, 27, 5, 0, tzinfo=UTC)  # in the past: the sweep records
LAW_OFFICER = "law.officer.punjab@example.org"
KP_OFFICER = "law.officer.kp@example.org"
# Between drafting and vetting for ever: the next action from each stage.
CYCLE = {
    "drafting": ("send_for_vetting", None),
    "law_vetting": ("return_to_drafting", "back for another draft"),
}


@dataclass
class Server:
    """A PostgreSQL server of this module's own, which its tests stop and start."""

    url: str
    folder: Path
    bindir: Path

    def pg_ctl(self, *args: str) -> None:
        command = [
            str(self.bindir / "pg_ctl"),
            f"--pgdata={self.folder}/data",
            f"--log={self.folder}/log",
            "--wait",
            f"--timeout={PG_CTL_SECONDS}",
            *args,
        ]
        if os.getuid() == 0:  # PostgreSQL refuses to run as root (see postgres.sh)
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, cwd=self.folder, check=True, capture_output=True)

    def stop(self, mode: str) -> None:
        self.pg_ctl("--mode", mode, "stop")

    def start(self) -> None:
        self.pg_ctl("start")

    def database(self, name: str) -> str:
        """A new database on the server, migrated, with the bundled meeting loaded."""
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = self.url.rsplit("/", 1)[0] + f"/{name}"
        installation = open_app(Settings(database_url=url), migrate_schema=True)
        try:
            with transaction(installation.sessions) as session:
                meeting = load_meeting_file(BUNDLED_MEETING)
                load_meeting(session, installation.catalogue, meeting, now=LOADED_AT)
        finally:
            installation.close()
        return url


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    found = subprocess.run([str(POSTGRES_SH), "bindir"], capture_output=True, text=True)
    required = os.environ.get("TASKFORCE_TEST_REQUIRE_POSTGRES") == "1"
    if found.returncode != 0 or not os.environ.get("TASKFORCE_TEST_POSTGRES_URL"):
        if required and found.returncode != 0:
            pytest.fail("PostgreSQL's initdb and pg_ctl are not installed", pytrace=False)
        if not required:
            pytest.skip("no PostgreSQL: these tests run with the PostgreSQL suite")
    # Outside pytest's own temporary folders: a parallel pytest run may prune those.
    folder = Path(tempfile.mkdtemp(prefix="taskforce-outage-")) / "pg"
    started = subprocess.run(
        [str(POSTGRES_SH), "start", str(folder)], capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        shutil.rmtree(folder.parent, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {started.stderr}", pytrace=False)
    try:
        url = started.stdout.strip()
        _durable(url)
        yield Server(url, folder, Path(found.stdout.strip()))
    finally:
        subprocess.run([str(POSTGRES_SH), "stop", str(folder)], capture_output=True, check=False)
        shutil.rmtree(folder.parent, ignore_errors=True)


def _durable(url: str) -> None:
    """Durability back on: the shared test server trades it for speed, but with it off an
    immediate stop loses commits the server had already acknowledged."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            connection.execute(text(f"ALTER SYSTEM SET {setting} = on"))
        connection.execute(text("SELECT pg_reload_conf()"))
    admin.dispose()


def _taskforce(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKFORCE_")}
    env.update(TASKFORCE_DATABASE_URL=url, COLUMNS="200")
    return subprocess.run(
        [str(TASKFORCE), *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )


def _one_clear_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for leak in ("Traceback", "SELECT", "INSERT", "[SQL", "sqlalche.me", "internal error"):
        assert leak not in line, line
    return line


def test_a_command_on_a_stopped_database_exits_75_with_one_line(
    server: Server, tmp_path: Path
) -> None:
    url = server.database("outage_cli")
    server.stop("immediate")
    try:
        down = _taskforce(url, tmp_path, "sweep", "--now", "2026-07-27T10:00")
    finally:
        server.start()
    up = _taskforce(url, tmp_path, "sweep", "--now", "2026-07-27T10:00", "--json")

    assert down.returncode == 75, down.stderr
    line = _one_clear_line(down.stderr)
    assert "cannot reach the database" in line
    assert "try again" in line
    assert up.returncode == 0, up.stderr


@dataclass
class Tally:
    """What one stream of work saw: successes, the clear error, anything else."""

    done: int = 0
    unavailable: int = 0
    done_after_last_restart: int = 0
    other: list[str] | None = None

    def unexpected(self, what: str) -> None:
        self.other = [*(self.other or []), what]


def _advance_directly(installation: App, key: str, actor: str, at: datetime) -> bool:
    """One move through the workflow, from whatever stage the item is in now."""
    with transaction(installation.sessions) as session:
        current = queries.get_commitment(session, key)
        action, comment = CYCLE[current.stage]
        workflow.advance(
            session,
            installation.catalogue,
            key=key,
            action=action,
            actor_email=actor,
            comment=comment,
            now=at,
            expected_version=current.version,
        )
    return True


def _advance_through_api(client: TestClient, key: str) -> int:
    """Read the item, then move it on from the version read: the status of the first failure."""
    seen = client.get(f"/api/v1/commitments/{key}")
    if seen.status_code != 200:
        return seen.status_code
    record = seen.json()
    action, comment = CYCLE[record["stage"]]
    moved = client.post(
        f"/api/v1/commitments/{key}/advance",
        json={"action": action, "comment": comment, "expected_version": record["version"]},
    )
    if moved.status_code == 503:
        assert moved.headers.get("Retry-After"), "a 503 without Retry-After"
        assert "Traceback" not in moved.text and "SELECT" not in moved.text
    return moved.status_code


def _stream(
    work: Callable[[], bool | int], tally: Tally, stop: threading.Event, restarted: threading.Event
) -> None:
    while not stop.is_set():
        try:
            outcome = work()
        except DatabaseUnavailableError as error:
            assert "\n" not in error.message and "SELECT" not in error.message
            tally.unavailable += 1
            time.sleep(0.02)
            continue
        except Exception as error:  # everything else is a finding
            tally.unexpected(f"{type(error).__name__}: {error}"[:300])
            continue
        if outcome is True or outcome == 200:
            tally.done += 1
            tally.done_after_last_restart += restarted.is_set()
        elif outcome == 503:
            tally.unavailable += 1
            time.sleep(0.02)
        else:
            tally.unexpected(f"HTTP {outcome}")


def test_restarts_during_advances_api_calls_and_sweeps_fail_clearly_and_resume(
    server: Server,
) -> None:
    url = server.database("outage_stream")
    installation = open_app(Settings(database_url=url))
    ticks = iter(range(1_000_000))

    def clock() -> datetime:
        return SWEEP_AT + timedelta(seconds=next(ticks))

    try:
        with transaction(installation.sessions) as session:
            token = tokens.create_token(session, email=KP_OFFICER, name="outage", now=LOADED_AT)
        app = create_app(installation.settings, installation=installation, clock=clock)
        client = TestClient(app, base_url="http://testserver")
        client.headers["Authorization"] = f"Bearer {token}"
        with installation.sessions() as session:
            events_before = session.scalar(select(func.count()).select_from(Event)) or 0

        def sweep() -> bool:
            run_sweep(
                installation.sessions, installation.catalogue, installation.calendar, now=SWEEP_AT
            )
            return True

        stop, restarted = threading.Event(), threading.Event()
        tallies = {"workflow": Tally(), "api": Tally(), "sweep": Tally()}
        work: dict[str, Callable[[], bool | int]] = {
            "workflow": lambda: _advance_directly(installation, "CMB-PUNJAB", LAW_OFFICER, clock()),
            "api": lambda: _advance_through_api(client, "CMB-KP"),
            "sweep": sweep,
        }
        threads = [
            threading.Thread(target=_stream, args=(work[name], tallies[name], stop, restarted))
            for name in tallies
        ]
        for thread in threads:
            thread.start()
        try:
            for mode in ("fast", "immediate"):
                time.sleep(1.0)
                server.stop(mode)
                time.sleep(0.5)
                server.start()
            restarted.set()
            time.sleep(1.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=COMMAND_SECONDS)

        for name, tally in tallies.items():
            assert tally.other is None, f"{name}: {tally.other}"
            assert tally.unavailable > 0, f"{name} never saw the database go"
            assert tally.done_after_last_restart > 0, f"{name} did not resume after the restart"

        with installation.sessions() as session:
            _assert_nothing_half_written(session)
            events_after = session.scalar(select(func.count()).select_from(Event)) or 0
        moves = tallies["workflow"].done + tallies["api"].done
        # A commit whose answer was lost with the server counts as a failure but did land.
        assert events_after - events_before >= moves
        print(f"\noutage stream: { {n: vars(t) for n, t in tallies.items()} }")
    finally:
        installation.close()


def _assert_nothing_half_written(session: Any) -> None:
    """Events numbered 1..n with the version at n, every escalation with all its messages."""
    seqs: dict[int, list[int]] = {}
    for commitment_id, seq in session.execute(
        select(Event.commitment_id, Event.seq).order_by(Event.commitment_id, Event.seq)
    ):
        seqs.setdefault(commitment_id, []).append(seq)
    versions = dict(session.execute(select(Commitment.id, Commitment.version)).all())
    for commitment_id, numbers in seqs.items():
        assert numbers == list(range(1, len(numbers) + 1)), f"gap in {commitment_id}: {numbers}"
        assert versions[commitment_id] == len(numbers)
    assert queries.inconsistent_keys(session) == []
    messages = Counter(
        session.scalars(
            select(OutboxMessage.escalation_id).where(OutboxMessage.escalation_id.is_not(None))
        )
    )
    for escalation_id, recipients in session.execute(select(Escalation.id, Escalation.recipients)):
        assert messages[escalation_id] == len(recipients), f"escalation {escalation_id}"
