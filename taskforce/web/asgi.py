"""The entry point for ASGI servers: `uvicorn --factory taskforce.web.asgi:create`.

Each server worker process calls `create` once, reading the settings from its
environment, so several workers can share one database.
"""

from __future__ import annotations

from fastapi import FastAPI

from taskforce.settings import load_settings
from taskforce.web.app import create_app


def create() -> FastAPI:
    return create_app(load_settings())
