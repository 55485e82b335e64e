"""The two questions asked to measure the replica's lag: how far the primary has written, and
whether the replica has replayed that far (else how old its last replayed transaction is)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def written_position(primary: AsyncConnection) -> str:
    # As text: asyncpg reads a pg_lsn as a number that cannot be sent back as one.
    return str((await primary.execute(text("SELECT CAST(pg_current_wal_lsn() AS text)"))).scalar_one())


async def replay_state(replica: AsyncConnection, written: str) -> tuple[bool, float | None]:
    """(replayed at least to `written`, seconds since the last transaction it replayed)."""
    row = (
        await replica.execute(
            text(
                "SELECT pg_last_wal_replay_lsn() >= CAST(CAST(:written AS text) AS pg_lsn),"
                " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
            ),
            {"written": written},
        )
    ).one()
    caught_up, behind = row
    return bool(caught_up), None if behind is None else float(behind)
