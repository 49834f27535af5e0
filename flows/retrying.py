"""When a failed task is worth running again."""

from __future__ import annotations

from typing import Any

from states.errors import DatabaseUnavailableError, TaskforceError


def unless_our_error(task: Any, task_run: Any, state: Any) -> bool:
    """Retry crashes, driver errors and a lost database, not our own refusals (bad
    settings, bad data): those fail the same way every time, and retrying only delays
    the report.
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
