"""The schema's migrations (Alembic), and what the models leave to them."""

from __future__ import annotations

SEARCH_INDEX_SUFFIX = "_trigram"


def in_models(
    _object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object
) -> bool:
    """Whether the models describe this part of the schema (Alembic's `include_object`).

    The search's trigram indexes are PostgreSQL's alone and made only where the server
    offers pg_trgm (migration 0020): comparing the models with a database leaves them out.
    """
    return not (type_ == "index" and name is not None and name.endswith(SEARCH_INDEX_SUFFIX))
