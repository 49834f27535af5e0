"""When a failed task is worth running again, and how long to wait before each try."""

from __future__ import annotations

from typing import Any

from states.errors import DatabaseUnavailableError, TaskforceError

# Seconds before each retry: a database restart or a failover is usually over within a
# minute or two; the last tries wait longer. Prefect spreads each by up to half again.
RETRY_DELAYS: list[float] = [10, 30, 60, 120, 300]
# The weekly digest waits out a longer outage (about an hour in all) rather than be lost.
LONG_RETRY_DELAYS: list[float] = [*RETRY_DELAYS, 600, 900, 1800]
JITTER = 0.5


def unless_our_error(task: Any, task_run: Any, state: Any) -> bool:
    """Retry crashes, driver errors and a database that could not be reached; not our own
    refusals (bad settings, bad data): those fail the same way every time, and retrying
    only delays the report.
    """
    try:
        state.result()
    except DatabaseUnavailableError:
        return True
    except TaskforceError:
        return False
    except Exception:
        return True
    return True
