"""Moving sealed values onto the primary data key (`congdan keys rotate`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

import congdan.models  # noqa: F401 - every table must be on the metadata to be found
from congdan.db import Base
from congdan.kit.crypto import Keyring, SealedJSON, SealedText, key_id_of
from congdan.privacy import repository

BATCH = 500


@dataclass(frozen=True)
class SealedColumn:
    table: str
    column: str
    purpose: str
    key: str  # the primary key column


def sealed_columns() -> list[SealedColumn]:
    """Every sealed column in the schema, found by type, so a new one is rotated without a list."""
    found = []
    for tbl in Base.metadata.sorted_tables:
        for col in tbl.columns:
            if isinstance(col.type, SealedText | SealedJSON):
                # Only tables holding sealed values need a single-column key to be walked by.
                found.append(SealedColumn(tbl.name, col.name, col.type.purpose, _single_pk(tbl)))
    return found


def _single_pk(tbl: Table) -> str:
    [pk] = list(tbl.primary_key.columns)
    return pk.name


async def rotate(session: AsyncSession, keyring: Keyring) -> dict[str, int]:
    """Re-seals under the primary key every value sealed under another one. Values are read and
    written as stored text, so no column type opens them on the way."""
    counts: dict[str, int] = {}
    prefix = f"cd1:{keyring.primary}:"
    for sealed in sealed_columns():
        where = (sealed.table, sealed.key, sealed.column)
        done = 0
        while True:
            rows = await repository.sealed_not_under(session, *where, prefix, BATCH)
            if not rows:
                break
            for row_id, value in rows:
                if key_id_of(value) is None:
                    raise ValueError(f"{sealed.table}.{sealed.column} {row_id}: value is not sealed")
                resealed = keyring.seal(keyring.open(value, sealed.purpose), sealed.purpose)
                await repository.store_sealed(session, *where, row_id, resealed)
            done += len(rows)
        counts[f"{sealed.table}.{sealed.column}"] = done
    return counts
