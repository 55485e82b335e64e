"""A database of its own for tests that migrate step by step or break things on purpose: a new
SQLite file, or a new PostgreSQL database when CONGDAN_TEST_DATABASE_URL is set."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from congdan.config import Settings
from tests.conftest import TEST_DATA_KEY, _create_pg_database, _drop_pg_database


@contextlib.asynccontextmanager
async def fresh_settings(data_dir: Path) -> AsyncIterator[Settings]:
    pg_url = os.environ.get("CONGDAN_TEST_DATABASE_URL")
    url = await _create_pg_database(pg_url) if pg_url else f"sqlite+aiosqlite:///{data_dir / 'fresh.sqlite3'}"
    settings = Settings(
        data_dir=data_dir, database_url=url, secret_key="test-secret-key", data_key=TEST_DATA_KEY, pool_size=3
    )
    try:
        yield settings
    finally:
        if pg_url:
            await _drop_pg_database(pg_url, url)


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment a `congdan` subprocess needs to open the same database with the same keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGDAN_")}
    env.update(
        CONGDAN_DATA_DIR=str(settings.data_dir),
        CONGDAN_DATABASE_URL=settings.resolved_database_url,
        CONGDAN_SECRET_KEY="test-secret-key",
        CONGDAN_DATA_KEY=settings.data_key or "",
        PYTHONIOENCODING="utf-8",
        NO_COLOR="1",
        COLUMNS="200",
    )
    return env
