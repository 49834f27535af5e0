"""Benchmark 6, web: advances through the JSON API from 20 concurrent clients.

The application (`taskforce.web.app`, through `taskforce.web.asgi:create`) runs
under uvicorn in a process of its own on 127.0.0.1 and a free port, on a
database prepared as for benchmark 1. Twenty clients (httpx, one keep-alive
connection each) each walk their own bills through every stage of
`provincial_bill` with `POST /api/v1/commitments/{key}/advance`, the officer's
or the secretary's bearer token and the version they expect; every request is
timed. The run is bounded in requests and in time. The baseline is the same
advances made in-process, one after another, on a database made the same way:
what the HTTP layer, authentication and the response cost on top.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from statistics import quantiles
from time import perf_counter

import httpx

from bench.advance import OFFICER, SECRETARY, WALK, _create, _walk_engine
from bench.databases import Databases, Installation, install
from bench.report import Result
from db.engine import transaction

CLIENTS = 20
HOST = "127.0.0.1"
TIME_LIMIT_SECONDS = 120.0


def run(databases: Databases, *, quick: bool) -> list[Result]:
    count = 40 if quick else 300  # bills; eight advances each
    requests = count * len(WALK)
    url = databases.fresh("web")
    installation = install(url)
    try:
        keys = _create(installation, "BILL", count)
        tokens = _tokens(installation)
        installation.close()
        latencies, seconds = _load(url, keys, tokens)
    finally:
        installation.close()
        databases.remove(url)
    baseline_url = databases.fresh("web_baseline")
    baseline_installation = install(baseline_url)
    try:
        baseline_keys = _create(baseline_installation, "BILL", count)
        started = perf_counter()
        _walk_engine(baseline_installation, baseline_keys)
        baseline = requests / (perf_counter() - started)
    finally:
        baseline_installation.close()
        databases.remove(baseline_url)
    if len(latencies) != requests:
        raise RuntimeError(f"only {len(latencies)} of {requests} advances were answered in time")
    cuts = quantiles(latencies, n=100, method="inclusive")
    return [
        Result(
            name="web-advance",
            database=databases.kind,
            sizes={"clients": CLIENTS, "advances": requests},
            engine=requests / seconds,
            baseline=baseline,
            baseline_name="in-process advances, one at a time",
            unit="advances/s",
            extra={
                "p50_ms": round(cuts[49] * 1000, 2),
                "p95_ms": round(cuts[94] * 1000, 2),
                "p99_ms": round(cuts[98] * 1000, 2),
                "server": "uvicorn, one worker process",
            },
        )
    ]


def _tokens(installation: Installation) -> dict[str, str]:
    from db.tokens import create_token

    now = datetime.now(UTC)
    with transaction(installation.sessions) as session:
        return {
            email: create_token(session, email=email, name="benchmark", now=now)
            for email in (OFFICER, SECRETARY)
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _load(url: str, keys: list[str], tokens: dict[str, str]) -> tuple[list[float], float]:
    """Start the server, run the clients, stop the server: latencies and wall-clock seconds."""
    port = _free_port()
    environment = {**os.environ, "TASKFORCE_DATABASE_URL": url}
    command = [sys.executable, "-m", "uvicorn", "--factory", "taskforce.web.asgi:create"]
    command += ["--host", HOST, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(command, env=environment)
    try:
        base = f"http://{HOST}:{port}"
        _wait_until_up(base, tokens[OFFICER], server)
        return asyncio.run(_clients(base, keys, tokens))
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(base: str, token: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the web server exited with {server.returncode}")
        try:
            answer = httpx.get(
                f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=2
            )
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the web server did not answer within 60 s")


async def _clients(base: str, keys: list[str], tokens: dict[str, str]) -> tuple[list[float], float]:
    latencies: list[float] = []
    deadline = time.monotonic() + TIME_LIMIT_SECONDS

    async def client(mine: list[str]) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for key in mine:
                for number, step in enumerate(WALK):
                    if time.monotonic() > deadline:
                        return
                    started = perf_counter()
                    answer = await http.post(
                        f"/api/v1/commitments/{key}/advance",
                        headers={"Authorization": f"Bearer {tokens[step.actor]}"},
                        json={
                            "action": step.action,
                            "comment": None,
                            "fields": dict(step.fields),
                            "expected_version": number + 1,
                        },
                    )
                    latencies.append(perf_counter() - started)
                    if answer.status_code != 200:
                        raise RuntimeError(
                            f"{step.action} {key}: {answer.status_code} {answer.text[:300]}"
                        )

    started = perf_counter()
    await asyncio.gather(*(client(keys[i::CLIENTS]) for i in range(CLIENTS)))
    return latencies, perf_counter() - started
