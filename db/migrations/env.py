"""Alembic environment: runs migrations on the engine handed over by `db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from db.migrations import in_models
from db.models import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through `taskforce init` (db.migrate.upgrade)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=in_models,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
