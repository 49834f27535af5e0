"""A Prefect server that `taskforce serve` starts, owns and stops, on one machine.

Prefect's temporary (ephemeral) server never schedules a run and cannot share a
deployment's concurrency lease with the flow-run processes, so `serve` without
PREFECT_API_URL starts a real one: `prefect server start` on 127.0.0.1, its
SQLite database under the data folder, in a process group of its own so that
stopping it stops everything it started. Startup waits for the health endpoint
with our own timeout rather than racing Prefect's default.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from states.errors import ConfigurationError, TaskforceError

HOST = "127.0.0.1"
STOP_SECONDS = 20.0
POLL_SECONDS = 0.5
LOG_TAIL_LINES = 15


class PrefectServerError(TaskforceError):
    """The local Prefect server could not be started."""

    # EX_UNAVAILABLE: a service this command needs did not come up.
    exit_code = 69


@dataclass(frozen=True)
class LocalServer:
    """Where the running server keeps its data and answers."""

    home: Path
    port: int

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / "server.log"


def server_environment(home: Path, base: dict[str, str], *, api_url: str) -> dict[str, str]:
    """The server's environment: its home and SQLite database, offline and quiet.

    An operator's own PREFECT_* values win, except the API URL, which must not point
    the server at another server. The UI is told where its API is: left alone it
    asks port 4200 whatever port the server listens on.
    """
    env = {name: value for name, value in base.items() if name != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(home)
    for name, value in {
        "PREFECT_UI_API_URL": api_url,
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_COLORS": "false",
    }.items():
        env.setdefault(name, value)
    return env


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _healthy(server: LocalServer) -> bool:
    try:
        # An http:// address on 127.0.0.1 that this module built, never a user-given scheme.
        health = f"{server.api_url}/health"
        with urllib.request.urlopen(health, timeout=5) as response:  # nosec B310
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _die_with_parent() -> None:
    """In the child, before exec: be sent SIGTERM if `taskforce serve` dies, even by SIGKILL."""
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's whole process group, then SIGKILL if it lingers."""
    for stop, wait in ((signal.SIGTERM, STOP_SECONDS), (signal.SIGKILL, STOP_SECONDS)):
        try:
            os.killpg(process.pid, stop)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # The group may outlive its leader for a moment (children still exiting).
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextmanager
def local_prefect_server(home: Path, port: int, *, startup_seconds: float) -> Iterator[LocalServer]:
    """Start a Prefect server on 127.0.0.1:`port` with its data in `home`; stop it on exit."""
    server = LocalServer(home=home.resolve(), port=port)
    if not _port_is_free(port):
        raise ConfigurationError(
            f"port {port} on {HOST} is already in use, so the local Prefect server cannot"
            " start there; set TASKFORCE_PREFECT_PORT to a free port, or PREFECT_API_URL"
            " to use a Prefect server that is already running"
        )
    try:
        server.home.mkdir(parents=True, exist_ok=True)
        log = server.log.open("ab")
    except OSError as error:
        raise ConfigurationError(
            f"the local Prefect server's data folder {server.home} cannot be written"
            f" ({error.strerror}); set TASKFORCE_DATA_DIR to a folder this user can write"
        ) from None
    with log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                HOST,
                "--port",
                str(port),
            ],
            env=server_environment(server.home, dict(os.environ), api_url=server.api_url),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=server.home,
            start_new_session=True,
            # Safe here: serve starts the server before any thread of its own.
            preexec_fn=_die_with_parent,
        )
    try:
        _wait_until_healthy(server, process, startup_seconds)
        yield server
    finally:
        _stop(process)


def _wait_until_healthy(
    server: LocalServer, process: subprocess.Popen[bytes], startup_seconds: float
) -> None:
    deadline = time.monotonic() + startup_seconds
    while not _healthy(server):
        if process.poll() is not None:
            raise PrefectServerError(
                f"the local Prefect server stopped as it started (exit status"
                f" {process.returncode}); its log, {server.log}, ends:\n{_tail(server.log)}"
            )
        if time.monotonic() > deadline:
            raise PrefectServerError(
                f"the local Prefect server did not answer on {server.api_url} within"
                f" {startup_seconds:g} s (its log: {server.log}); on a slow or busy machine"
                " raise TASKFORCE_PREFECT_STARTUP_SECONDS"
            )
        time.sleep(POLL_SECONDS)
