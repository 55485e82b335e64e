"""Applying migrations and the reference data that goes with them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from congdan.config import Settings
from congdan.kit import crypto


def migrations_dir() -> Path:
    packaged = Path(__file__).resolve().parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", settings.resolved_database_url.replace("%", "%%"))
    return config


def upgrade_schema(settings: Settings) -> None:
    settings.ensure_dirs()
    crypto.install(settings.keyring)  # migrations seal existing contact data with it
    command.upgrade(alembic_config(settings), "head")


async def upgrade(settings: Settings) -> dict[str, int]:
    """Schema to head, then any reference data that is missing. Safe to run again and again."""
    await asyncio.to_thread(upgrade_schema, settings)
    from congdan.seed import seed_reference

    return await seed_reference(settings)
