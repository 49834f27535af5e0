"""`taskforce serve` end to end: it serves the sweep, then stops cleanly when told to.

The command runs as an operator would start it on one machine: no Prefect server
configured (no PREFECT_API_URL), so Prefect starts a temporary one of its own.
The signal is sent once the runner has polled: prefect.serve prints its banner a
moment before the runner handles signals, and a SIGTERM in that moment kills the
command outright and leaves Prefect's temporary server running.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

pytestmark = pytest.mark.slow

TASKFORCE = Path(sys.executable).parent / "taskforce"
# What prefect.serve prints once the deployment is registered, just before its runner starts.
SERVING = "Your deployments are being served and polling for scheduled runs!"
# What the runner logs (at DEBUG) each time it has polled for runs: it is up, and it
# handles SIGINT and SIGTERM. Before this a SIGTERM kills the command outright.
POLLED = "| prefect.runner - Discovered "
START_SECONDS = 90  # the temporary Prefect server migrates a new database first: 10-15 s
STOP_SECONDS = 30  # it stops in about 3 s
PREFECT_SETTINGS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # DEBUG for Prefect's own loggers only, to see the runner poll (the server stays quiet).
    "PREFECT_LOGGING_LEVEL": "DEBUG",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_LOGGING_COLORS": "false",
    # No scheduled run may start (at the top of a weekday hour) while the test stops it.
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
}


def _environment(folder: Path) -> dict[str, str]:
    # Nothing from the developer's shell may reach the command: above all no
    # PREFECT_API_URL, which would make it serve on someone's real server.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TASKFORCE_", "PREFECT_"))
    }
    env.update(PREFECT_SETTINGS)
    env["PREFECT_HOME"] = str(folder / "prefect")
    env["TASKFORCE_DATABASE_URL"] = f"sqlite:///{folder}/taskforce.sqlite3"
    return env


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

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.lines: list[str] = []
        self.ended = False
        self._stream = process.stdout
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(
            target=self._read, args=(self._stream,), name="serve-output", daemon=True
        )
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, text: str, *, seconds: float) -> bool:
        """Whether `text` was printed within `seconds` (False as soon as the output ends)."""
        deadline = time.monotonic() + seconds
        while not self.ended and (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                return False
            if line is None:
                self.ended = True
                return False
            self.lines.append(line)
            if text in line:
                return True
        return False

    def rest(self) -> str:
        """Everything printed, once the process has ended."""
        self._reader.join(timeout=STOP_SECONDS)
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                self.lines.append(line)
        return "".join(self.lines)

    def close(self) -> None:
        """Stop reading (the process and its children have ended)."""
        self._reader.join(timeout=STOP_SECONDS)
        self._stream.close()


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


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


@pytest.mark.parametrize(
    ("stop", "web"),
    [(signal.SIGINT, False), (signal.SIGTERM, True)],
    ids=["SIGINT", "SIGTERM-with-web"],
)
def test_serve_serves_the_sweep_and_stops_cleanly(
    tmp_path: Path, stop: signal.Signals, web: bool
) -> None:
    assert TASKFORCE.is_file(), f"the taskforce command is not installed at {TASKFORCE}"
    port = _free_port()
    extra = ["--web", "--port", str(port)] if web else []
    with _interruptible_children():
        # Its own process group, so that whatever it starts (Prefect's temporary
        # server) can be checked for, and killed if the test fails half-way.
        serve = subprocess.Popen(
            [str(TASKFORCE), "serve", *extra],
            cwd=tmp_path,
            env=_environment(tmp_path),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    output = Output(serve)
    try:
        served = output.wait_for(SERVING, seconds=START_SECONDS)
        assert served, f"not served within {START_SECONDS} s:\n{''.join(output.lines)}"
        polled = output.wait_for(POLLED, seconds=STOP_SECONDS)
        assert polled, f"the runner did not poll:\n{''.join(output.lines)}"
        assert serve.poll() is None, "it stopped by itself"
        if web:
            assert _answers(f"http://127.0.0.1:{port}/healthz"), "the web is not served"

        serve.send_signal(stop)
        code = serve.wait(timeout=STOP_SECONDS)
        printed = output.rest()
        assert code == 0, printed
        assert "Traceback" not in printed, printed
        assert "| ERROR" not in printed, printed
        assert "sweep/sweep" in printed
        # Prefect's temporary server went with it.
        deadline = time.monotonic() + STOP_SECONDS
        while _group_alive(serve.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _group_alive(serve.pid), "it left a process running"
    finally:
        if _group_alive(serve.pid):
            os.killpg(serve.pid, signal.SIGKILL)
        serve.wait(timeout=STOP_SECONDS)
        output.close()
