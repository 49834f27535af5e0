"""Benchmark 7, command latency: `taskforce list` and `taskforce show KEY` as whole processes.

Each command is started as a user starts it (the installed console script, a new
process, the database named by TASKFORCE_DATABASE_URL) on a database holding
the bundled meeting, and timed from start to exit. The baseline is `python -c
pass` on the same interpreter, measured in the same rounds: what starting Python
costs before taskforce does anything. Rounds interleave the commands so a
busy machine slows each alike; the figures are medians. Also reported: `python
-c "import taskforce.cli"` alone, the import part of a command, and the libraries
it is built on imported and nothing else (SQLAlchemy's ORM, pydantic and
pydantic-settings, Typer, Rich, PyYAML): the floor no change to taskforce can go
under. Besides wall-clock medians, the JSON has CPU-time medians (user +
system), steadier on a shared machine, and the load average.

Bytecode is written and reused, as in an installed package: the variable
PYTHONDONTWRITEBYTECODE, if the caller set it, is not passed on.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from statistics import median
from time import perf_counter

from bench.databases import Databases
from bench.report import Result

TARGET_SECONDS = 0.4
KEY = "CMB-PUNJAB"
PASS = "python -c pass"
IMPORT = "import taskforce.cli"
# What any command must import whatever taskforce does: the libraries it is built on.
FLOOR = "import libraries only"
LIBRARIES = (
    "import sqlalchemy.orm, pydantic_settings, typer, rich.table, yaml;"
    " from pydantic import BaseModel"
)


def run(databases: Databases, *, quick: bool) -> list[Result]:
    rounds = 7 if quick else 21
    url = databases.fresh("cli")
    try:
        env = _environment(url)
        commitments = _prepare(env, postgres=databases.kind == "postgresql", cwd=databases.folder)
        commands = {
            PASS: [sys.executable, "-c", "pass"],
            FLOOR: [sys.executable, "-c", LIBRARIES],
            IMPORT: [sys.executable, "-c", "import taskforce.cli"],
            "taskforce list": [_taskforce(), "list"],
            f"taskforce show {KEY}": [_taskforce(), "show", KEY],
        }
        for argv in commands.values():  # warm: bytecode written, files in the page cache
            _time(argv, env, databases.folder)
        wall: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, argv in commands.items():
                seconds, used = _time(argv, env, databases.folder)
                wall[name].append(seconds)
                cpu[name].append(used)
    finally:
        databases.remove(url)
    on_sqlite = databases.kind == "sqlite"
    results = []
    for name in commands:
        if name == PASS:
            continue
        command = name.startswith("taskforce")
        figure = median(wall[name])
        results.append(
            Result(
                name=f"cli: {name}",
                database=databases.kind,
                sizes={"rounds": rounds, "commitments": commitments},
                engine=figure,
                baseline=median(wall[PASS]),
                baseline_name=PASS,
                unit="s (median, whole process)",
                target=f"≤ {TARGET_SECONDS} s median (SQLite)" if command and on_sqlite else None,
                met=figure <= TARGET_SECONDS if command and on_sqlite else None,
                extra={
                    "runs_s": [round(s, 4) for s in wall[name]],
                    "min_s": min(wall[name]),
                    "max_s": max(wall[name]),
                    "cpu_median_s": median(cpu[name]),
                    "python_pass_cpu_median_s": median(cpu[PASS]),
                    "load_average_1min": os.getloadavg()[0],
                },
            )
        )
    return results


def _taskforce() -> str:
    return str(Path(sys.executable).parent / "taskforce")


def _environment(url: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("TASKFORCE_")
        and name not in ("PYTHONDONTWRITEBYTECODE", "COLUMNS", "LINES")
    }
    env["TASKFORCE_DATABASE_URL"] = url
    return env


def _prepare(env: dict[str, str], *, postgres: bool, cwd: Path) -> int:
    """The schema (PostgreSQL: by `taskforce init`, as an operator would) and the meeting;
    returns how many commitments it holds."""
    steps = [["init"], ["load"]] if postgres else [["load"]]
    for step in steps:
        subprocess.run(
            [_taskforce(), *step], env=env, cwd=cwd, check=True, capture_output=True, timeout=300
        )
    listed = subprocess.run(
        [_taskforce(), "list", "--json"],
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return len(json.loads(listed.stdout))


def _time(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = perf_counter()
    subprocess.run(
        argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    wall = perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
