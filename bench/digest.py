"""Benchmark 3, digest: building the chair's digest of 100, 1,000 and 10,000 stalled items.

Each dataset (bench.dataset, among 100 thousand open commitments) is swept once
at NOW - 7 days, given the chair's digest of that day (so the timed one has a
week of changes to report), and swept again at NOW; then the chair's digest as
of NOW is built (`db.digest.build_digest`, everything it reads and compares).
The baseline is the bare driver reading the same rows: the overdue commitments
with their officers, and the escalations of their current stall episodes.
"""

from __future__ import annotations

from datetime import timedelta
from statistics import median
from time import perf_counter

from bench import dataset
from bench.databases import Databases, Installation, install, postgres_connection, sqlite_connection
from bench.report import Result
from db.digest import build_digest, record_digests
from db.engine import transaction
from db.sweep import run_sweep
from notifications.digest import digest_context
from notifications.render import Renderer
from states.actors import FEDERAL

CHAIR = "chair@bench.example.org"
LIMIT_SECONDS = 1.0
RUNS = 3

OVERDUE = (
    "SELECT c.id, c.key, c.title, c.pipeline_key, c.pipeline_version, c.jurisdiction,"
    " c.department, c.stage, c.stage_entered_at, c.stage_seq, c.deadline, c.snoozed_until,"
    " c.exempt, p.name, p.email FROM commitments c LEFT OUTER JOIN people p"
    " ON p.id = c.officer_id WHERE c.status = 'open' AND c.due_at <= {0}"
)
ESCALATED = (
    "SELECT e.commitment_id, e.level, e.acknowledged_at, e.acknowledged_by FROM escalations e"
    " JOIN commitments c ON c.id = e.commitment_id AND c.stage_seq = e.stage_seq"
    " WHERE e.level > 0 AND c.status = 'open' AND c.due_at <= {0}"
)


def run(databases: Databases, *, quick: bool) -> list[Result]:
    total = 20_000 if quick else 100_000
    results = []
    for stalled in (100, 1_000, 10_000):
        url = databases.fresh(f"digest_{stalled}")
        installation = install(url)
        try:
            dataset.populate(installation, total=total, stalled=stalled)
            _history(installation)
            engine, items, render = _time_engine(installation, 1 if quick else RUNS)
            baseline = _time_driver(installation, 1 if quick else RUNS)
        finally:
            installation.close()
            databases.remove(url)
        if items != stalled:
            raise RuntimeError(f"the digest listed {items} items, not {stalled}")
        results.append(
            Result(
                name="digest",
                database=databases.kind,
                sizes={"commitments": total, "stalled": stalled},
                engine=engine,
                baseline=baseline,
                baseline_name="bare driver reading the same rows",
                unit="s",
                target=f"< {LIMIT_SECONDS:.0f} s" if stalled == 10_000 else None,
                met=engine < LIMIT_SECONDS if stalled == 10_000 else None,
                extra={"render_html_s": round(render, 4)},
            )
        )
    return results


def _history(installation: Installation) -> None:
    """A week of history: a sweep and the chair's digest a week ago, then today's sweep."""
    week_ago = dataset.NOW - timedelta(days=7)
    sessions, catalogue, calendar = (
        installation.sessions,
        installation.catalogue,
        installation.calendar,
    )
    run_sweep(sessions, catalogue, calendar, now=week_ago)
    with transaction(sessions) as session:
        record_digests(session, catalogue, calendar, now=week_ago, scopes=[FEDERAL])
    run_sweep(sessions, catalogue, calendar, now=dataset.NOW)


def _time_engine(installation: Installation, runs: int) -> tuple[float, int, float]:
    times = []
    for _ in range(runs):
        with transaction(installation.sessions) as session:
            started = perf_counter()
            content = build_digest(
                session,
                installation.catalogue,
                installation.calendar,
                scope=FEDERAL,
                now=dataset.NOW,
                recipient_email=CHAIR,
            )
            times.append(perf_counter() - started)
    started = perf_counter()
    context = digest_context(
        content, base_url="http://localhost:8000", recipient_name="Chair", language="en"
    )
    Renderer().render("digest", "en", context)
    render = perf_counter() - started
    return median(times), content.stalled, render


def _time_driver(installation: Installation, runs: int) -> float:
    times = []
    for _ in range(runs):
        if installation.dialect == "sqlite":
            connection = sqlite_connection(installation.url)
            now = dataset.NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
            started = perf_counter()
            connection.execute("BEGIN")
            connection.execute(OVERDUE.format("?"), (now,)).fetchall()
            connection.execute(ESCALATED.format("?"), (now,)).fetchall()
            connection.execute("COMMIT")
            times.append(perf_counter() - started)
            connection.close()
        else:
            pg = postgres_connection(installation.url)
            started = perf_counter()
            with pg.transaction(), pg.cursor() as cursor:
                cursor.execute(OVERDUE.format("%s"), (dataset.NOW,)).fetchall()
                cursor.execute(ESCALATED.format("%s"), (dataset.NOW,)).fetchall()
            times.append(perf_counter() - started)
            pg.close()
    return median(times)
