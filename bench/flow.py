"""Benchmark 5, flow overhead: a sweep as a Prefect flow run against the same sweep called directly.

Runs in a child process whose Prefect is quiet, offline and at home in a
temporary folder, with flow heartbeats off. The ephemeral server is started and
warmed by two untimed flow runs; then the flow (`flows.sweep.sweep`, one task,
no task per item) and the plain call (`db.sweep.run_sweep`) take turns on the
same database, each starting from the same state. The overhead is the
difference of their medians.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from statistics import median
from time import perf_counter

from bench import dataset
from bench.databases import Databases, install, reopen
from bench.report import Result

LIMIT_SECONDS = 0.25
QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_LOGGING_COLORS": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
}


def run(databases: Databases, *, quick: bool) -> list[Result]:
    total, stalled = 10_000, 100
    url = databases.fresh("flow")
    try:
        installation = install(url)
        dataset.populate(installation, total=total, stalled=stalled)
        installation.close()
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            flow_s, direct_s = pool.submit(measure, url, 5 if quick else 15).result()
    finally:
        databases.remove(url)
    overhead = flow_s - direct_s
    return [
        Result(
            name="flow-overhead",
            database=databases.kind,
            sizes={"commitments": total, "stalled": stalled},
            engine=flow_s,
            baseline=direct_s,
            baseline_name="run_sweep called directly",
            unit="s per sweep",
            target=f"flow - direct < {LIMIT_SECONDS} s",
            met=overhead < LIMIT_SECONDS,
            extra={"overhead_s": round(overhead, 4)},
        )
    ]


def measure(url: str, runs: int) -> tuple[float, float]:
    """In the child process: median seconds of a flow run and of a direct call."""
    home = tempfile.mkdtemp(prefix="prefect-home-")
    os.environ["PREFECT_HOME"] = home
    for name, value in QUIET.items():
        os.environ[name] = value
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from db.sweep import run_sweep
    from flows import runtime
    from flows.sweep import sweep

    installation = reopen(url)
    runtime.configure(
        lambda: runtime.Runtime(
            sessions=installation.sessions,
            catalogue=installation.catalogue,
            calendar=installation.calendar,
        )
    )
    flow_times, direct_times = [], []
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        for _ in range(2):  # start the ephemeral server and warm it
            dataset.reset_escalations(installation)
            sweep(now=dataset.NOW)
        for _ in range(runs):
            dataset.reset_escalations(installation)
            started = perf_counter()
            sweep(now=dataset.NOW)
            flow_times.append(perf_counter() - started)
            dataset.reset_escalations(installation)
            started = perf_counter()
            run_sweep(
                installation.sessions,
                installation.catalogue,
                installation.calendar,
                now=dataset.NOW,
            )
            direct_times.append(perf_counter() - started)
    installation.close()
    return median(flow_times), median(direct_times)
