"""Entry points for Prefect deployments: the flows, wired to this installation's settings.

`prefect.yaml` and `taskforce serve` name the flows through this module, so a
process worker that imports it gets a runtime opened from TASKFORCE_* settings.
"""

from flows import runtime
from flows.sweep import sweep
from taskforce.app import open_app
from taskforce.settings import load_settings


def _open_runtime() -> runtime.Runtime:
    application = open_app(load_settings())
    return runtime.Runtime(
        sessions=application.sessions,
        catalogue=application.catalogue,
        calendar=application.calendar,
    )


runtime.configure(_open_runtime)

__all__ = ["sweep"]
