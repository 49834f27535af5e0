"""Benchmark 2, sweep: its time and peak memory at 10 thousand, 100 thousand and 1 million
open commitments, with 1,000 stalled and with 1% stalled.

Each dataset (bench.dataset) is swept in a child process of its own, so the
peak resident memory it reports is the sweep's process (interpreter, imports
and all), not this one's; it also reports tracemalloc's peak of Python
allocations during one sweep. Each sweep starts from the same state: the
escalations and messages of the previous one are deleted first.
"""

from __future__ import annotations

import resource
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from statistics import median
from time import perf_counter

from bench import dataset
from bench.databases import Databases, install, reopen
from bench.report import Result
from db.sweep import run_sweep

TIMED_RUNS = 3
SECONDS_AT_A_MILLION = 5.0
GROWTH_LIMIT = 1.5
MEMORY_LIMIT_MB = 300.0


@dataclass(frozen=True)
class Measured:
    """One dataset's sweeps: seconds (median of the timed runs) and memory."""

    total: int
    stalled: int
    seconds: float
    runs: tuple[float, ...]
    peak_rss_mb: float
    traced_peak_mb: float
    escalations: int
    stalled_seen: int


def scenarios(quick: bool) -> list[tuple[int, int]]:
    """(total, stalled) pairs: 1,000 stalled and 1% stalled at each size, each pair once."""
    totals = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
    pairs: list[tuple[int, int]] = []
    for total in totals:
        for stalled in (1_000, total // 100):
            if (total, stalled) not in pairs:
                pairs.append((total, stalled))
    return pairs


def run(databases: Databases, *, quick: bool) -> list[Result]:
    measured: dict[tuple[int, int], Measured] = {}
    for total, stalled in scenarios(quick):
        url = databases.fresh(f"sweep_{total}_{stalled}")
        try:
            installation = install(url)
            dataset.populate(installation, total=total, stalled=stalled)
            installation.close()
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                measured[(total, stalled)] = pool.submit(
                    measure, url, total, stalled, 1 if quick else TIMED_RUNS
                ).result()
        finally:
            databases.remove(url)
    return [_result(m, measured, databases.kind, quick=quick) for m in measured.values()]


def measure(url: str, total: int, stalled: int, runs: int) -> Measured:
    """In the child process: sweep `runs` times timed, once traced; report the figures."""
    installation = reopen(url)
    times = []
    report = None
    for _ in range(runs):
        dataset.reset_escalations(installation)
        started = perf_counter()
        report = run_sweep(
            installation.sessions, installation.catalogue, installation.calendar, now=dataset.NOW
        )
        times.append(perf_counter() - started)
    assert report is not None
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dataset.reset_escalations(installation)
    tracemalloc.start()
    run_sweep(installation.sessions, installation.catalogue, installation.calendar, now=dataset.NOW)
    traced_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    installation.close()
    return Measured(
        total=total,
        stalled=stalled,
        seconds=median(times),
        runs=tuple(times),
        peak_rss_mb=peak_rss_mb,
        traced_peak_mb=traced_peak_mb,
        escalations=len(report.escalations),
        stalled_seen=report.stalled,
    )


def _result(
    m: Measured, measured: dict[tuple[int, int], Measured], kind: str, *, quick: bool
) -> Result:
    smallest = min(total for total, _ in measured)
    base = measured.get((smallest, m.stalled)) if m.total != smallest else None
    memory_ok = m.peak_rss_mb < MEMORY_LIMIT_MB
    target = f"peak RSS < {MEMORY_LIMIT_MB:.0f} MB"
    met = memory_ok
    if base is not None:
        target += f"; <= {GROWTH_LIMIT}x the time at {smallest:,} total"
        met = met and m.seconds <= GROWTH_LIMIT * base.seconds
    if m.total == 1_000_000 and m.stalled == 10_000 and kind == "sqlite":
        target += f"; < {SECONDS_AT_A_MILLION:.0f} s"
        met = met and m.seconds < SECONDS_AT_A_MILLION
    if m.stalled_seen != m.stalled:
        raise RuntimeError(f"the sweep saw {m.stalled_seen} stalled of {m.stalled}")
    return Result(
        name="sweep",
        database=kind,
        sizes={"commitments": m.total, "stalled": m.stalled},
        engine=m.seconds,
        baseline=base.seconds if base else None,
        baseline_name=f"same stalled at {smallest:,} total" if base else None,
        unit="s",
        target=target,
        met=met,
        extra={
            "runs_s": [round(t, 4) for t in m.runs],
            "peak_rss_mb": round(m.peak_rss_mb, 1),
            "tracemalloc_peak_mb": round(m.traced_peak_mb, 1),
            "escalations": m.escalations,
            "ms_per_stalled": round(1000 * m.seconds / m.stalled, 3),
        },
    )
