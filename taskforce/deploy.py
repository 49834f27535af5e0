"""Entry points for Prefect deployments: the flows, wired to this installation's settings.

`prefect.yaml` and `taskforce serve` name the flows through this module, so a
process worker that imports it gets a runtime opened from TASKFORCE_* settings.
"""

from flows import runtime
from flows.deliver import deliver
from flows.digest import digest
from flows.sweep import sweep
from notifications.delivery import mail_config
from taskforce.app import open_app
from taskforce.settings import load_settings


def _open_runtime() -> runtime.Runtime:
    application = open_app(load_settings())
    return runtime.Runtime(
        sessions=application.sessions,
        catalogue=application.catalogue,
        calendar=application.calendar,
        mail=mail_config(application.settings),
    )


runtime.configure(_open_runtime)

__all__ = ["deliver", "digest", "sweep"]
