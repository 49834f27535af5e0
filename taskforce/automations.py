"""The Prefect automations that tell operators when the flows stop doing their job.

Kept here, in the repository, and created on a Prefect server by
`taskforce automations`: creating them again replaces them, so the server holds
what this file says. Each one notifies through a notification block the
operator made on the server (Slack, Microsoft Teams, a webhook, mail through a
provider); without one, a firing is still recorded in the server's event feed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from states.errors import ConfigurationError

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.events.schemas.automations import AutomationCore

FLOWS = ("sweep", "deliver", "digest")
PREFIX = "taskforce: "
# A run's ending states worth waking someone for, and the states of a run that is due.
BROKEN = {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}
DUE = {"prefect.flow-run.Late", "prefect.flow-run.Pending", "prefect.flow-run.Running"}
COMPLETED = {"prefect.flow-run.Completed"}


def _flows(*names: str) -> dict[str, Any]:
    """Events about runs of these flows (the flow is a related resource of each run)."""
    return {"prefect.resource.role": "flow", "prefect.resource.name": list(names)}


def definitions(*, pool: str) -> list[tuple[str, str, Any]]:
    """(name, what the notification says, trigger) for each automation."""
    from prefect.events.schemas.automations import EventTrigger, Posture

    return [
        (
            f"{PREFIX}a run failed or crashed",
            "{{ flow.name }} run '{{ flow_run.name }}' ended {{ flow_run.state.name }}:"
            " {{ flow_run.state.message }}",
            EventTrigger(
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related=_flows(*FLOWS),
                expect=BROKEN,
                posture=Posture.Reactive,
                threshold=1,
                within=timedelta(0),
            ),
        ),
        (
            # Sweeps are due hourly on working days only: the window opens when a sweep
            # is due (late, pending or running), so a quiet weekend raises nothing.
            f"{PREFIX}no completed sweep for 2 hours",
            "No sweep has completed for 2 hours although one was due: stalled"
            " commitments are not being escalated.",
            EventTrigger(
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related=_flows("sweep"),
                after=DUE,
                expect=COMPLETED,
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(hours=2),
            ),
        ),
        (
            # The digest is due Mondays at 09:00 PKT: no completion within the hour after
            # it became due means none by 10:00.
            f"{PREFIX}no completed digest by Monday 10:00",
            "The Monday digest did not complete within an hour of 09:00 PKT: the chair"
            " and the chief secretaries have not been sent this week's digest.",
            EventTrigger(
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related=_flows("digest"),
                after=DUE,
                expect=COMPLETED,
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(hours=1),
            ),
        ),
        (
            f"{PREFIX}the work pool has no ready worker",
            f"The work pool '{pool}' has no ready worker: no scheduled run will start.",
            EventTrigger(
                match={"prefect.resource.id": "prefect.work-pool.*", "prefect.resource.name": pool},
                expect={"prefect.work-pool.not-ready"},
                posture=Posture.Reactive,
                threshold=1,
                within=timedelta(0),
            ),
        ),
    ]


def _notification(client: SyncPrefectClient, block: str | None) -> Any:
    """The SendNotification action for BLOCK (`TYPE/NAME`), or one that does nothing."""
    from prefect.events.actions import DoNothing, SendNotification
    from prefect.exceptions import ObjectNotFound

    if block is None:
        return lambda subject, body: DoNothing()
    kind, _, name = block.partition("/")
    if not kind or not name:
        raise ConfigurationError(
            f"notification block {block!r}: give it as TYPE/NAME, e.g. slack-webhook/operators"
        )
    try:
        document = client.read_block_document_by_name(name=name, block_type_slug=kind)
    except ObjectNotFound:
        raise ConfigurationError(
            f"the Prefect server has no notification block {block!r}; create it in the"
            " Prefect UI (Blocks) first"
        ) from None
    return lambda subject, body: SendNotification(
        block_document_id=document.id, subject=subject, body=body
    )


def install(api_url: str, *, pool: str, block: str | None) -> list[str]:
    """Create (or replace) every automation on the server at `api_url`; their names."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.events.schemas.automations import AutomationCore

    created = []
    with SyncPrefectClient(api_url) as client:
        action = _notification(client, block)
        for name, body, trigger in definitions(pool=pool):
            for old in client.read_automations_by_name(name):
                client.delete_automation(old.id)
            automation: AutomationCore = AutomationCore(
                name=name,
                description=body,
                trigger=trigger,
                actions=[action(f"taskforce: {name.removeprefix(PREFIX)}", body)],
            )
            client.create_automation(automation)
            created.append(name)
    return created
