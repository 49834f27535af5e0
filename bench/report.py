"""Results: one record per measurement, printed as a table and written as JSON."""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class Result:
    """One benchmark figure beside its baseline from the same run.

    `ratio` is engine / baseline, so whether higher is better depends on the unit
    (throughput: higher; seconds: lower); `target` says in words what is wanted
    and `met` whether this run reached it (None where there is no target).
    """

    name: str
    database: str
    sizes: dict[str, int]
    engine: float
    baseline: float | None
    baseline_name: str | None
    unit: str
    target: str | None = None
    met: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        assert self.baseline is not None
        return self.engine / self.baseline

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def machine() -> dict[str, Any]:
    """Where the figures came from."""
    import os

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def _figure(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def print_table(results: list[Result], console: Console | None = None) -> None:
    """Every result in one table, the target and whether it was met last."""
    table = Table(title="taskforce benchmarks", show_lines=False)
    for column in ("benchmark", "db", "sizes", "engine", "baseline", "ratio", "unit", "target"):
        table.add_column(column, overflow="fold")
    table.add_column("met")
    for r in results:
        sizes = " ".join(f"{k}={v:,}" for k, v in r.sizes.items())
        baseline = f"{_figure(r.baseline)} ({r.baseline_name})" if r.baseline_name else "-"
        met = "-" if r.met is None else ("yes" if r.met else "NO")
        table.add_row(
            r.name,
            r.database,
            sizes,
            _figure(r.engine),
            baseline,
            _figure(r.ratio),
            r.unit,
            r.target or "-",
            met,
        )
    (console or Console(width=200)).print(table)


def write_json(results: list[Result], path: Path, *, quick: bool) -> None:
    """results.json: the machine, when, and one object per result."""
    document = {
        "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine(),
        "results": [r.as_dict() for r in results],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
