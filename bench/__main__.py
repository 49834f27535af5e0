"""`python -m bench [--quick] [--database-url URL] [--only NAME ...]`: run, print, write results."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.databases import Databases
from bench.report import Result, print_table, write_json

Benchmark = Callable[[Databases, bool], list[Result]]
RESULTS = Path(__file__).with_name("results.json")


def _benchmarks() -> dict[str, Benchmark]:
    # Imported when asked for: the flow benchmark alone imports Prefect.
    def advance(databases: Databases, quick: bool) -> list[Result]:
        from bench import advance

        return advance.run(databases, quick=quick)

    def sweep(databases: Databases, quick: bool) -> list[Result]:
        from bench import sweep

        return sweep.run(databases, quick=quick)

    def digest(databases: Databases, quick: bool) -> list[Result]:
        from bench import digest

        return digest.run(databases, quick=quick)

    def delivery(databases: Databases, quick: bool) -> list[Result]:
        from bench import delivery

        return delivery.run(databases, quick=quick)

    def flow(databases: Databases, quick: bool) -> list[Result]:
        from bench import flow

        return flow.run(databases, quick=quick)

    def web(databases: Databases, quick: bool) -> list[Result]:
        from bench import web

        return web.run(databases, quick=quick)

    def pages(databases: Databases, quick: bool) -> list[Result]:
        from bench import pages

        return pages.run(databases, quick=quick)

    def cli(databases: Databases, quick: bool) -> list[Result]:
        from bench import cli

        return cli.run(databases, quick=quick)

    return {
        "advance": advance,
        "sweep": sweep,
        "digest": digest,
        "delivery": delivery,
        "flow": flow,
        "web": web,
        "pages": pages,
        "cli": cli,
    }


def main(argv: list[str] | None = None) -> int:
    benchmarks = _benchmarks()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under a minute")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TASKFORCE_BENCH_DATABASE_URL") or None,
        help="a PostgreSQL server URL whose user may create databases"
        " (postgresql+psycopg://user@host:port/postgres); default: SQLite files",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(benchmarks),
        help="run only this benchmark (repeatable)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where SQLite files go (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    chosen = args.only or list(benchmarks)
    with tempfile.TemporaryDirectory(prefix="taskforce-bench-") as scratch:
        databases = Databases(folder=args.workdir or Path(scratch), server_url=args.database_url)
        results: list[Result] = []
        for name in chosen:
            print(
                f"running {name} on {databases.kind}{' (quick)' if args.quick else ''}...",
                file=sys.stderr,
                flush=True,
            )
            started = time.perf_counter()
            results += benchmarks[name](databases, args.quick)
            print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print_table(results)
    write_json(results, args.output, quick=args.quick)
    print(f"wrote {args.output}", file=sys.stderr)
    missed = [r for r in results if r.met is False]
    if missed:
        print(f"{len(missed)} target(s) missed; see docs/benchmarks.md", file=sys.stderr)
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
