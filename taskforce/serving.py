"""`taskforce serve`: the three flows on their schedules, through a real Prefect server.

With PREFECT_API_URL set, the flows are served through that server. Without it,
serve starts and owns a local one (taskforce/prefect_server.py), points itself
and every flow-run process at it, and stops it on the way out.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from taskforce.prefect_server import local_prefect_server
from taskforce.settings import Settings

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment
    from rich.console import Console

ZONE = "Asia/Karachi"
# Each flow and its cron, Pakistan time.
SCHEDULES = (
    ("sweep", "0 * * * 1-5"),
    ("deliver", "*/5 * * * *"),
    ("digest", "0 9 * * 1"),
)
# What a trial interval (TASKFORCE_SERVE_INTERVAL_SECONDS) speeds up: a digest every few
# seconds would only fill the outbox; it keeps its Monday schedule.
TRIAL_FLOWS = ("sweep", "deliver")


def prefect_home(settings: Settings) -> Path:
    """Where the local Prefect server keeps its database, logs and files."""
    return settings.data_dir / "prefect"


@contextmanager
def prefect_server(settings: Settings, out: Console) -> Iterator[tuple[str, bool]]:
    """The API URL of the server to serve through, and whether we own it (else configured)."""
    configured = os.environ.get("PREFECT_API_URL", "").strip()
    if configured:
        out.print(f"Serving through the Prefect server at {configured}")
        yield configured, False
        return
    home = prefect_home(settings)
    out.print(f"Starting a local Prefect server (its data in {home}) ...")
    with local_prefect_server(
        home, settings.prefect_port, startup_seconds=settings.prefect_startup_seconds
    ) as server:
        out.print(f"Prefect UI: {server.ui_url} (API {server.api_url}, log {server.log})")
        yield server.api_url, True


def use_server(api_url: str) -> None:
    """Point this process and the flow-run processes it starts at the server (before Prefect loads).

    Run logs go to the server so the UI shows each run's counts; Prefect stays offline.
    """
    os.environ["PREFECT_API_URL"] = api_url
    for name, value in {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_COLORS": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }.items():
        os.environ.setdefault(name, value)
    if os.environ.get("PREFECT_LOGGING_TO_API_ENABLED", "").lower() == "false":
        del os.environ["PREFECT_LOGGING_TO_API_ENABLED"]


def deployments(settings: Settings) -> list[RunnerDeployment]:
    """The served deployments: one run of each at a time, on its schedule or the trial interval."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron, Interval

    import taskforce.deploy

    # Runs start in fresh processes: name the flows through taskforce/deploy.py, which
    # opens the installation from the settings when imported.
    entrypoints = Path(taskforce.deploy.__file__).resolve()
    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
    )
    every = settings.serve_interval_seconds
    start = datetime.now(UTC)
    return [
        RunnerDeployment.from_entrypoint(
            f"{entrypoints}:{flow_name}",
            # Not the names prefect.yaml uses, so serving never rewrites those deployments.
            name=f"{flow_name}-served",
            schedules=[
                # On a trial schedule the sweep and delivery take turns, half an interval
                # apart, so each delivery finds what the sweep before it queued.
                Interval(
                    timedelta(seconds=every),
                    anchor_date=start + timedelta(seconds=every * turn / 2),
                    timezone=ZONE,
                )
                if every and flow_name in TRIAL_FLOWS
                else Cron(cron, timezone=ZONE)
            ],
            concurrency_limit=one_at_a_time,
        )
        for turn, (flow_name, cron) in enumerate(SCHEDULES)
    ]


def release_leftovers(api_url: str, out: Console) -> None:
    """Free what a previous serve, stopped mid-run, left held on the server we own.

    Its unfinished runs have no process any more, and the deployment's one slot they
    held would stay taken: the server keeps slot leases in memory, so after its
    restart nothing ever expires them, and every new run would be cancelled. Only
    for a server this command started: nothing else can be running these deployments.
    """
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Crashed

    unfinished = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]
    with SyncPrefectClient(api_url) as client:
        for flow_name, _ in SCHEDULES:
            name = f"{flow_name}/{flow_name}-served"
            try:
                deployment = client.read_deployment_by_name(name)
            except ObjectNotFound:
                continue
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=unfinished))
                ),
            )
            for run in runs:
                client.set_flow_run_state(
                    run.id,
                    Crashed(message="taskforce serve stopped during this run"),
                    force=True,
                )
                out.print(f"{name}: run '{run.name}' was left unfinished; marked Crashed")
            limit = deployment.global_concurrency_limit
            if limit is not None and limit.active_slots:
                client.update_global_concurrency_limit(
                    limit.name, GlobalConcurrencyLimitUpdate(active_slots=0)
                )


def serve_flows(
    settings: Settings, out: Console, *, alongside: Callable[[], None] | None = None
) -> None:
    """Serve the flows until SIGINT or SIGTERM, then stop the runner and the server it started.

    `alongside` starts something else in a thread (the web); it runs once the Prefect
    server has started, so that server's process is forked before any thread exists.
    """
    with prefect_server(settings, out) as (api_url, owned):
        use_server(api_url)
        if owned:
            release_leftovers(api_url, out)
        if alongside is not None:
            alongside()
        from prefect import serve

        if settings.serve_interval_seconds:
            out.print(
                f"Trial schedule: the sweep and delivery every"
                f" {settings.serve_interval_seconds:g} s (TASKFORCE_SERVE_INTERVAL_SECONDS)"
            )
        try:
            serve(*deployments(settings))
        finally:
            # Send the last run logs while the server still answers.
            from prefect.logging.handlers import APILogWorker

            APILogWorker.drain_all(timeout=5)
