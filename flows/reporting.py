"""What a flow run tells operators: a name that says what ran, its counts, and an artifact.

The counts go to Prefect's run logger, so they reach the UI whenever logs are sent
to a server. Artifacts are created only when a Prefect server is configured: with
no PREFECT_API_URL there is nobody to keep them, and creating one would start a
throwaway server.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from datetime import UTC, datetime
from typing import Any

from states.actors import province_of
from states.calendar import PAKISTAN_TIME


def moment_label(moment: datetime) -> str:
    """`2026-07-27 10:00 PKT`: a moment as operators in Pakistan read it."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(PAKISTAN_TIME).strftime("%Y-%m-%d %H:%M PKT")


def _run_moment() -> datetime:
    """The moment a run works as of: its `now` parameter, else when it was due, else now."""
    from prefect.runtime import flow_run

    given = flow_run.parameters.get("now")
    if isinstance(given, datetime):
        return given
    if isinstance(given, str) and given:
        try:
            return datetime.fromisoformat(given)
        except ValueError:
            pass
    scheduled = flow_run.scheduled_start_time
    return scheduled if isinstance(scheduled, datetime) else datetime.now(UTC)


def run_name(flow: str) -> Callable[[], str]:
    """A `flow_run_name` for `flow`: `sweep 2026-07-27 10:00 PKT`."""

    def name() -> str:
        return f"{flow} {moment_label(_run_moment())}"

    return name


def server_configured() -> bool:
    """Whether runs report to a Prefect server that keeps what they leave (not an ephemeral one)."""
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


def _cell(value: object) -> str:
    # A bar or a line break inside a cell would end it early.
    return " ".join(str(value).split()).replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(" --- " for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _count(value: int | Sized) -> int:
    return value if isinstance(value, int) else len(value)


def _levels(counts: Mapping[str, int]) -> str:
    return ", ".join(f"level {level}: {count}" for level, count in counts.items()) or "none"


def sweep_summary(report: Mapping[str, Any]) -> str:
    """The sweep's counts in one line."""
    moment = moment_label(datetime.fromisoformat(report["now"]))
    if report.get("dry_run"):
        return f"Sweep as of {moment}: a moment not yet come, so nothing was recorded"
    return (
        f"Sweep as of {moment}: {report['stalled']} stalled"
        f" (by level reached: {_levels(report['by_level'])});"
        f" {len(report['escalations'])} new escalations, {len(report['reminders'])} reminders,"
        f" {len(report['missing_recipients'])} rungs with nobody to notify;"
        f" {_count(report['completed_parents'])} parents completed,"
        f" {_count(report['lapsed'])} lapsed,"
        f" {_count(report['skipped_conflicts'])} skipped after a conflict"
    )


def sweep_markdown(report: Mapping[str, Any]) -> str:
    """The sweep's report for the UI: new escalations and reminders by level and province."""
    notices = [*report["escalations"], *report["reminders"]]
    counts = Counter((notice["level"], province_of(notice["jurisdiction"])) for notice in notices)
    rows = [(level, province, count) for (level, province), count in sorted(counts.items())]
    parts = [f"# {sweep_summary(report)}", ""]
    if rows:
        parts += [
            "## New escalations (level 0: reminders) by level and province",
            "",
            _table(("Level", "Province", "New"), rows),
        ]
    else:
        parts.append("Nothing new escalated.")
    missing = report["missing_recipients"]
    if missing:
        parts += [
            "",
            "## Rungs with nobody to notify",
            "",
            _table(
                ("Commitment", "Level", "Missing role"),
                ((m["key"], m["level"], m["missing_role"]) for m in missing),
            ),
        ]
    return "\n".join(parts) + "\n"


def digest_summary(digests: Sequence[Mapping[str, Any]]) -> str:
    """The digest run's counts in one line."""
    readers = ", ".join(f"{d['recipient']} ({d['stalled']} stalled)" for d in digests)
    return f"Digests recorded and queued: {len(digests)}" + (f": {readers}" if readers else "")


def digest_markdown(digests: Sequence[Mapping[str, Any]]) -> str:
    """Each digest recorded: reader, scope and what it reports."""
    rows = (
        (
            d["recipient"],
            d["scope"],
            d["stalled"],
            d["new"] if d["new"] is not None else "first",
            d["resolved"] if d["resolved"] is not None else "-",
            d["worsened"] if d["worsened"] is not None else "-",
            d["completed"],
        )
        for d in digests
    )
    header = ("Reader", "Scope", "Stalled", "New", "Resolved", "Worsened", "Completed")
    body = _table(header, rows) if digests else "No digest recorded."
    return f"# {digest_summary(digests)}\n\n{body}\n"


def delivery_summary(report: Mapping[str, Any]) -> str:
    """The delivery run's counts in one line."""
    return (
        f"Delivery: {_count(report['sent'])} sent, {len(report['retried'])} to retry,"
        f" {len(report['dead'])} dead-lettered, {report['remaining']} still due"
    )


def delivery_markdown(report: Mapping[str, Any]) -> str:
    """Sent, retried and dead messages, with the last error of each that failed."""
    failed = [("retry", f) for f in report["retried"]] + [("dead", f) for f in report["dead"]]
    parts = [
        f"# {delivery_summary(report)}",
        "",
        _table(
            ("Sent", "To retry", "Dead", "Still due"),
            [
                (
                    _count(report["sent"]),
                    len(report["retried"]),
                    len(report["dead"]),
                    report["remaining"],
                )
            ],
        ),
    ]
    if failed:
        parts += [
            "",
            "## Failed tries",
            "",
            _table(
                ("Outbox id", "Recipient", "Now", "Error"),
                ((f["id"], f["recipient"], what, f["error"]) for what, f in failed),
            ),
        ]
    return "\n".join(parts) + "\n"


def publish(key: str, summary: str, markdown: str) -> None:
    """Log the run's counts and, with a server configured, keep its report as an artifact."""
    from prefect import get_run_logger
    from prefect.artifacts import create_markdown_artifact

    get_run_logger().info(summary)
    if server_configured():
        create_markdown_artifact(key=key, markdown=markdown, description=summary)
