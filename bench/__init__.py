"""Benchmarks: the engine measured against the bare driver, a peer engine and its own targets.

Run with `python -m bench [--quick] [--database-url URL] [--only NAME]`; see
docs/benchmarks.md for what each benchmark measures and the latest figures.
"""
