"""`taskforce serve` end to end: scheduled runs really happen, and it stops cleanly.

The command runs as an operator would start it on one machine: no PREFECT_API_URL,
so it starts its own Prefect server; a trial schedule (every flow every few
seconds) stands in for the cron. On a database holding the bundled meeting, whose
commissions are long overdue, a scheduled sweep must escalate them, a scheduled
delivery must send every message to a real SMTP server exactly once, a run
started by hand with `prefect deployment run` must complete, and each run must
leave its name, its counts and its report on the Prefect server. SIGTERM (or
Ctrl-C) must then stop the runner, the flow runs and the Prefect server.

The module's tests share one Prefect data folder, so only the first pays for
creating Prefect's database; each looks only at what happened after it started.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pytest
from smtp_server import SmtpServer
from sqlalchemy import func, select

from db.engine import make_engine
from db.models import Escalation, OutboxMessage

# One process, one Prefect data folder for the module (pytest-xdist keeps it together).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve")]

TASKFORCE = Path(sys.executable).parent / "taskforce"
PREFECT = Path(sys.executable).parent / "prefect"
INTERVAL_SECONDS = 12  # the trial schedule of every flow (they take turns)
START_SECONDS = 120  # a new Prefect database is migrated first: 10-20 s on a busy machine
FLOW_SECONDS = 90  # for the first scheduled sweep and delivery, on a busy machine
STOP_SECONDS = 45
RUN_NAME = re.compile(r"^(sweep|deliver|digest) \d{4}-\d\d-\d\d \d\d:\d\d PKT$")
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _outside(names: tuple[str, ...]) -> dict[str, str]:
    # Nothing from the developer's shell may reach the command: above all no
    # PREFECT_API_URL, which would make it serve on someone's real server.
    return {name: value for name, value in os.environ.items() if not name.startswith(names)}


@contextmanager
def _interruptible_children() -> Iterator[None]:
    """Let a child see SIGINT even if this process ignores it.

    A process started in the background by a non-interactive shell ignores SIGINT,
    and its children inherit that; Python then never raises KeyboardInterrupt.
    """
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Output:
    """The lines a process prints (stdout and stderr together), read as they come."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(
            target=self._read, args=(stream,), name="serve-output", daemon=True
        )
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def _drain(self, timeout: float) -> bool:
        """Take what was printed; False once the output has ended."""
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            return True
        if line is None:
            return False
        self.lines.append(line)
        return True

    def wait_for(self, text: str, *, seconds: float) -> bool:
        """Whether `text` was printed within `seconds`."""
        deadline = time.monotonic() + seconds
        while not any(text in line for line in self.lines):
            left = deadline - time.monotonic()
            if left <= 0 or not self._drain(min(left, 0.5)):
                return any(text in line for line in self.lines)
        return True

    def rest(self) -> str:
        """Everything printed, once the process has ended."""
        while self._drain(STOP_SECONDS):
            pass
        return "".join(self.lines)


def _processes_marked(marker: str) -> list[int]:
    """The processes (of this user) whose environment carries `marker`: serve and its children."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environment:
            found.append(int(entry.name))
    return found


def _wait(check: Callable[[], Any], *, seconds: float, what: str, output: Output) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s; serve printed:\n{''.join(output.lines)}")
        output.wait_for("\0", seconds=1.0)  # keeps reading what serve prints


@dataclass
class Served:
    """A running `taskforce serve` and where to look at what it did."""

    process: subprocess.Popen[str]
    output: Output
    api_url: str
    database_url: str
    marker: str
    started: datetime


@pytest.fixture(scope="module")
def smtp() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1, keeping what it accepts."""
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for the module: its Prefect database is created once."""
    return tmp_path_factory.mktemp("serve-data")


@pytest.fixture
def prepared(database_url: str, taskforce_on: Callable[[str], Callable[..., Any]]) -> str:
    """The bundled meeting loaded today: its commissions are overdue, stalled as of now."""
    for args in (("init",), ("load",)):
        done = taskforce_on(database_url)(*args)
        assert done.code == 0, done.stderr
    return database_url


def _start_serve(
    tmp_path: Path, database_url: str, data_dir: Path, smtp: Any, extra: list[str]
) -> Served:
    assert TASKFORCE.is_file(), f"the taskforce command is not installed at {TASKFORCE}"
    port = _free_port()
    marker = f"serve-test-{uuid.uuid4().hex}"
    env = _outside(("TASKFORCE_", "PREFECT_"))
    env.update(
        {
            "SERVE_TEST_MARKER": marker,
            "TASKFORCE_DATABASE_URL": database_url,
            "TASKFORCE_DATA_DIR": str(data_dir),
            "TASKFORCE_PREFECT_PORT": str(port),
            "TASKFORCE_SERVE_INTERVAL_SECONDS": str(INTERVAL_SECONDS),
            "TASKFORCE_SMTP_HOST": smtp.host,
            "TASKFORCE_SMTP_PORT": str(smtp.port),
            "TASKFORCE_BASE_URL": "https://taskforce.example.org",
            # This process's own Prefect profile; the server's home is under the data folder.
            "PREFECT_HOME": str(tmp_path / "prefect-client"),
            "PREFECT_SERVER_UI_ENABLED": "false",
            "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        }
    )
    started = datetime.now(UTC)
    with _interruptible_children():
        process = subprocess.Popen(
            [str(TASKFORCE), "serve", *extra],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    assert process.stdout is not None
    return Served(
        process=process,
        output=Output(process.stdout),
        api_url=f"http://127.0.0.1:{port}/api",
        database_url=database_url,
        marker=marker,
        started=started,
    )


def _outbox(database_url: str) -> tuple[int, list[tuple[str, str | None]]]:
    """The escalations recorded, and each escalation message's status and Message-ID."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            escalations = connection.scalar(select(func.count()).select_from(Escalation)) or 0
            rows = connection.execute(
                select(OutboxMessage.status, OutboxMessage.message_id).where(
                    OutboxMessage.escalation_id.is_not(None)
                )
            ).all()
    finally:
        engine.dispose()
    return escalations, [(status, message_id) for status, message_id in rows]


def _every_escalation_sent(served: Served) -> bool:
    escalations, messages = _outbox(served.database_url)
    return escalations > 0 and bool(messages) and all(s == "sent" for s, _ in messages)


def _runs(client: Any, flow: str, since: datetime) -> list[Any]:
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow])))
    return [run for run in runs if run.created and run.created >= since]


def _command(served: Served, *command: str, outside: tuple[str, ...] = ("PREFECT_",)) -> str:
    """A command against the Prefect server that serve started, as an operator types it;
    what it printed, once it succeeded."""
    env = _outside(outside) | {"PREFECT_API_URL": served.api_url}
    done = subprocess.run(
        list(command), env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _prefect(served: Served, *args: str) -> str:
    return _command(served, str(PREFECT), "--no-prompt", *args)


def _run_by_hand(served: Served, client: Any, output: Output) -> Any:
    """A sweep started with `prefect deployment run`, as an operator would, until it ends.

    A run that comes due while a scheduled sweep holds the deployment's one slot is
    cancelled by design (CANCEL_NEW), and on a trial schedule of a few seconds a
    scheduled sweep nearly always holds it. So, as an operator making a run of their
    own: pause the schedules, let the runs under way end, then start it.
    """
    from uuid import UUID

    _prefect(served, "deployment", "schedule", "pause", "--all")
    _wait(
        lambda: (
            not [
                run
                for run in _runs(client, "sweep", served.started)
                if run.state and run.state.type.value not in FINAL
            ]
        ),
        seconds=FLOW_SECONDS,
        what="the scheduled sweeps did not end once paused",
        output=output,
    )
    started = _prefect(served, "deployment", "run", "sweep/sweep-served")
    found = re.search(r"UUID: ([0-9a-f-]{36})", started)
    assert found, started
    run_id = UUID(found.group(1))

    def ended() -> Any:
        run = client.read_flow_run(run_id)
        return run if run.state and run.state.type.value in FINAL else None

    return _wait(ended, seconds=FLOW_SECONDS, what="the run by hand did not end", output=output)


def _automations_are_created(served: Served, client: Any) -> None:
    """`taskforce automations` twice: the four automations, each once, read back from the server."""
    for _ in range(2):
        _command(served, str(TASKFORCE), "automations", outside=("PREFECT_", "TASKFORCE_"))
    expected = {
        "taskforce: a run failed or crashed": ("Reactive", {"prefect.flow-run.Failed"}),
        "taskforce: no completed sweep for 2 hours": ("Proactive", {"prefect.flow-run.Completed"}),
        "taskforce: no completed digest by Monday 10:00": (
            "Proactive",
            {"prefect.flow-run.Completed"},
        ),
        "taskforce: the work pool has no ready worker": (
            "Reactive",
            {"prefect.work-pool.not-ready"},
        ),
    }
    for name, (posture, expects) in expected.items():
        found = client.read_automations_by_name(name)
        assert len(found) == 1, (name, found)
        trigger = found[0].trigger
        assert trigger.posture.value == posture, (name, trigger)
        assert expects <= trigger.expect, (name, trigger)


def _stop(served: Served, stop: signal.Signals) -> str:
    served.process.send_signal(stop)
    code = served.process.wait(timeout=STOP_SECONDS)
    printed = served.output.rest()
    assert code == 0, printed
    return printed


def test_serve_runs_the_flows_on_schedule_and_stops_everything(
    prepared: str, tmp_path: Path, data_dir: Path, smtp: Any
) -> None:
    """On SQLite: Ctrl-C, and a run started by hand. On PostgreSQL: --web, and SIGTERM."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    on_sqlite = prepared.startswith("sqlite")
    stop, web, by_hand = (
        (signal.SIGINT, False, True) if on_sqlite else (signal.SIGTERM, True, False)
    )
    web_port = _free_port()
    extra = ["--web", "--port", str(web_port)] if web else []
    served = _start_serve(tmp_path, prepared, data_dir, smtp, extra)
    output = served.output
    try:
        ui = f"Prefect UI: {served.api_url.removesuffix('/api')}"
        assert output.wait_for(ui, seconds=START_SECONDS), "".join(output.lines)
        # The UI in the browser asks its server where the API is: this port, not 4200.
        with urllib.request.urlopen(f"{served.api_url.removesuffix('/api')}/ui-settings") as got:
            assert json.load(got)["api_url"] == served.api_url
        if web:
            assert output.wait_for("Serving the web on", seconds=START_SECONDS)
            _wait(
                lambda: _answers(f"http://127.0.0.1:{web_port}/healthz"),
                seconds=STOP_SECONDS,
                what="the web did not answer",
                output=output,
            )

        # A scheduled sweep escalates, a scheduled delivery sends every escalation's
        # messages, each once (the digest runs too and queues its own).
        _wait(
            lambda: _every_escalation_sent(served),
            seconds=FLOW_SECONDS,
            what="the escalations were not recorded and sent",
            output=output,
        )
        escalations, messages = _outbox(prepared)
        assert escalations > 0
        received = Counter(m.message_id for m in smtp.messages)
        ids = [message_id for _, message_id in messages]
        assert all(received[message_id] == 1 for message_id in ids), received

        with SyncPrefectClient(served.api_url) as client:
            sweeps = [
                run
                for run in _runs(client, "sweep", served.started)
                if run.state and run.state.type.value == "COMPLETED"
            ]
            assert sweeps, "no scheduled sweep completed"
            assert all(RUN_NAME.match(run.name) for run in sweeps), [r.name for r in sweeps]
            first = min(sweeps, key=lambda run: run.created)
            logs = client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[first.id]))
            )
            counts = [log.message for log in logs if log.message.startswith("Sweep as of")]
            assert counts, [log.message for log in logs]
            assert f"{escalations} new escalations" in " ".join(
                log.message
                for run in sweeps
                for log in client.read_logs(
                    log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))
                )
            )
            artifacts = {
                artifact.flow_run_id: artifact
                for artifact in client.read_artifacts()
                if artifact.key == "sweep-report"
            }
            assert first.id in artifacts, "the sweep left no report"
            assert "by level and province" in str(artifacts[first.id].data)
            # The messages are marked sent a moment before their run completes.
            delivered = _wait(
                lambda: [
                    run
                    for run in _runs(client, "deliver", served.started)
                    if run.state and run.state.type.value == "COMPLETED"
                ],
                seconds=FLOW_SECONDS,
                what="no scheduled delivery completed",
                output=output,
            )
            assert all(RUN_NAME.match(run.name) for run in delivered)

            if by_hand:
                run = _run_by_hand(served, client, output)
                assert run.state.type.value == "COMPLETED", run.state
                assert RUN_NAME.match(run.name), run.name
                _automations_are_created(served, client)

        printed = _stop(served, stop)
        assert "Traceback" not in printed, printed
        assert "Error logging to API" not in printed, printed
        # Nothing it started is left: runner, flow runs, Prefect server.
        deadline = time.monotonic() + STOP_SECONDS
        while _processes_marked(served.marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _processes_marked(served.marker), "it left a process running"
        assert not _answers(f"{served.api_url}/health"), "the Prefect server still answers"
    finally:
        for pid in _processes_marked(served.marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        served.process.wait(timeout=STOP_SECONDS)
        assert served.process.stdout is not None
        served.process.stdout.close()
