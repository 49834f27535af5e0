"""Persistence: models, sessions, queries and migrations for commitments and their history."""
