"""Pipeline definitions and the pure rules that move commitments through them.

Nothing here touches a database, Prefect or the clock: callers pass `now` in.
"""
