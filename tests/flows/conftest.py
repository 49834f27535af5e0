"""Fixtures for running flows through Prefect: one temporary Prefect server for the session.

The server costs 6-9 seconds to start, so it starts once, and only if a test asks
for `prefect_harness`; tests that do not ask never start it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A temporary Prefect server (its own SQLite database) that flow runs report to.

    Prefect is kept offline and quiet, its home is a temporary folder, and flow
    heartbeats are off: they add about a second to every flow run.
    """
    # Imported here so that collecting tests that never run a flow does not import Prefect.
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_HOME,
        PREFECT_LOGGING_COLORS,
        PREFECT_LOGGING_LEVEL,
        PREFECT_LOGGING_TO_API_ENABLED,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        PREFECT_SERVER_LOGGING_LEVEL,
        PREFECT_SERVER_UI_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    quiet: dict[Any, Any] = {
        PREFECT_HOME: tmp_path_factory.mktemp("prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED: False,
        PREFECT_LOGGING_LEVEL: "WARNING",
        PREFECT_SERVER_LOGGING_LEVEL: "CRITICAL",
        PREFECT_LOGGING_TO_API_ENABLED: False,
        PREFECT_LOGGING_COLORS: False,
        PREFECT_SERVER_UI_ENABLED: False,
        # Only a setting can be None; the environment variable cannot say it.
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
    }
    # The harness hands the current settings to the server it starts, so these come first.
    with temporary_settings(updates=quiet), prefect_test_harness(server_startup_timeout=90):
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The flows' tests share one Prefect server: with the suite split over processes
    (pytest-xdist, `--dist loadgroup`), they all run in the same one."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.xdist_group("prefect"))
