"""Benchmark 7, command latency: `taskforce list` and `taskforce show KEY` as whole processes.

Each command is started as a user starts it (the installed console script, a new
process, the database named by TASKFORCE_DATABASE_URL) on a database holding
the bundled meeting, and timed from start to exit. The baseline is `python -c
pass` on the same interpreter, measured in the same rounds: what starting Python
costs before taskforce does anything. Rounds interleave the three commands so a
busy machine slows each alike; the figures are medians. Also reported: `python
-c "import taskforce.cli"` alone, the import part of a command.

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


def run(databases: Databases, *, quick: bool) -> list[Result]:
    rounds = 7 if quick else 21
    url = databases.fresh("cli")
    try:
        env = _environment(url)
        commitments = _prepare(env, postgres=databases.kind == "postgresql", cwd=databases.folder)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "import taskforce.cli": [sys.executable, "-c", "import taskforce.cli"],
            "taskforce list": [_taskforce(), "list"],
            f"taskforce show {KEY}": [_taskforce(), "show", KEY],
        }
        for argv in commands.values():  # warm: bytecode written, files in the page cache
            _time(argv, env, databases.folder)
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, argv in commands.items():
                wall, used = _time(argv, env, databases.folder)
                seconds[name].append(wall)
                cpu[name].append(used)
    finally:
        databases.remove(url)
    baseline = median(seconds["python -c pass"])
    imports = median(seconds["import taskforce.cli"])
    on_sqlite = databases.kind == "sqlite"
    results = []
    for name in ("taskforce list", f"taskforce show {KEY}"):
        figure = median(seconds[name])
        results.append(
            Result(
                name=f"cli: {name}",
                database=databases.kind,
                sizes={"rounds": rounds, "commitments": commitments},
                engine=figure,
                baseline=baseline,
                baseline_name="python -c pass",
                unit="s (median, whole process)",
                target=f"≤ {TARGET_SECONDS} s median (SQLite)" if on_sqlite else None,
                met=figure <= TARGET_SECONDS if on_sqlite else None,
                extra={
                    "runs_s": [round(s, 4) for s in seconds[name]],
                    "min_s": min(seconds[name]),
                    "max_s": max(seconds[name]),
                    "cpu_median_s": median(cpu[name]),
                    "import_taskforce_cli_median_s": imports,
                    "python_pass_median_s": baseline,
                    "python_pass_cpu_median_s": median(cpu["python -c pass"]),
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
