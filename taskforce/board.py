"""The board as printed in a terminal: every commitment by pipeline and stage."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from db import queries
from db.models import Commitment
from states.catalogue import Catalogue
from taskforce.views import LOCAL_ZONE

STATUS_STYLE = {"open": "", "completed": "green", "withdrawn": "dim", "lapsed": "red"}


def print_board(
    console: Console,
    session: Session,
    catalogue: Catalogue,
    *,
    jurisdiction: str | None,
    today: datetime,
) -> None:
    """One table per pipeline, each commitment placed in its stage, deadlines counted down."""
    items = queries.list_commitments(session, queries.CommitmentFilter(jurisdiction=jurisdiction))
    by_pipeline: dict[str, list[Commitment]] = defaultdict(list)
    for item in items:
        by_pipeline[item.pipeline_key].append(item)
    local_today = today.astimezone(LOCAL_ZONE).date()
    for key in sorted(by_pipeline):
        pipeline = catalogue.latest(key)
        open_stages = [s for s in pipeline.stages if not s.terminal]
        table = Table(title=pipeline.title.en, title_justify="left")
        table.add_column("Key", no_wrap=True)
        for heading in ("Jurisdiction", "Stage", "Progress", "Status", "Deadline"):
            table.add_column(heading)
        for item in by_pipeline[key]:
            definition = catalogue.get(item.pipeline_key, item.pipeline_version)
            stage = definition.stage(item.stage)
            keys = [s.key for s in open_stages]
            step = (
                len(keys) if stage.terminal else keys.index(item.stage) if item.stage in keys else 0
            )
            progress = "■" * step + "□" * (len(keys) - step)
            deadline = item.deadline.strftime("%-d %b %Y") if item.deadline else ""
            if item.deadline and item.status == "open":
                left = (item.deadline - local_today).days
                deadline += f" ({left}d left)" if left >= 0 else f" ([red]{-left}d late[/red])"
            style = STATUS_STYLE.get(item.status, "")
            table.add_row(
                item.key,
                item.jurisdiction,
                stage.title.en,
                progress,
                f"[{style}]{item.status}[/{style}]" if style else item.status,
                deadline,
            )
        console.print(table)
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item.status] += 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    console.print(
        f"{len(items)} commitments: {summary}"
        if items
        else "No commitments loaded yet: run taskforce load"
    )
