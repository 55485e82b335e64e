"""What the crash harness checks in the database: every acknowledged report stored exactly once
with its outbox row done, and how long the outbox takes to catch up after a kill."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import asyncpg

KEY_IN_TEXT = re.compile(r"\[(crash-[0-9a-f-]+)\]")


async def verify(database_url: str, acknowledged: dict[str, str]) -> dict[str, Any]:
    """`acknowledged` maps each Idempotency-Key answered 201 to the report id it was given."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT id::text AS id, description FROM reports")
        outbox = await conn.fetch(
            "SELECT aggregate_id, status FROM outbox WHERE event_type = 'report.submitted'"
        )
    finally:
        await conn.close()
    by_key: dict[str, list[str]] = {}
    for row in rows:
        match = KEY_IN_TEXT.search(row["description"])
        if match:
            by_key.setdefault(match.group(1), []).append(row["id"])
    submitted: dict[str, list[str]] = {}
    for row in outbox:
        submitted.setdefault(row["aggregate_id"], []).append(row["status"])
    missing = [k for k in acknowledged if k not in by_key]
    wrong_id = [k for k, rid in acknowledged.items() if k in by_key and by_key[k] != [rid]]
    duplicated = [k for k, ids in by_key.items() if len(ids) > 1]
    without_outbox = [
        k for k, rid in acknowledged.items() if submitted.get(rid) is None or len(submitted[rid]) != 1
    ]
    undelivered = [k for k, rid in acknowledged.items() if submitted.get(rid, [""])[0] != "done"]
    return {
        "reports_in_database": len(by_key),
        "acknowledged_found_exactly_once": len(acknowledged) - len(missing) - len(wrong_id),
        "missing": missing,
        "wrong_id": wrong_id,
        "duplicated": duplicated,
        "without_outbox_row": without_outbox,
        "outbox_not_done": undelivered,
        "stored_but_never_acknowledged": len([k for k in by_key if k not in acknowledged]),
    }


async def unfinished_rows(database_url: str, status: str) -> list[Any]:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT id FROM outbox WHERE status = $1", status)
    finally:
        await conn.close()
    return [row["id"] for row in rows]


async def wait_rows_done(database_url: str, ids: list[Any], since: float, limit: float = 120.0) -> float:
    """Seconds from `since` until none of `ids` is pending or being processed."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        while time.monotonic() - since < limit:
            left = await conn.fetchval(
                "SELECT count(*) FROM outbox"
                " WHERE id = ANY($1::uuid[]) AND status IN ('pending', 'processing')",
                ids,
            )
            if left == 0:
                return time.monotonic() - since
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise RuntimeError("the rows left by the killed server were not handled")


async def wait_drain(database_url: str, limit: float = 120.0) -> float:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    start = time.monotonic()
    try:
        while time.monotonic() - start < limit:
            left = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'processing')"
            )
            if left == 0:
                return time.monotonic() - start
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    raise RuntimeError("outbox did not drain")
