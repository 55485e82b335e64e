from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.db import new_id
from congdan.models import IdempotencyKey


async def find(session: AsyncSession, scope: str, key: str) -> IdempotencyKey | None:
    stmt = select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    return (await session.scalars(stmt)).first()


async def insert_new(
    session: AsyncSession, *, scope: str, key: str, fingerprint: str, locked_until: datetime
) -> bool:
    """Inserts the claim unless the key is there already, in one statement; True when this call
    inserted it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(IdempotencyKey)
        .values(id=new_id(), scope=scope, key=key, request_hash=fingerprint, locked_until=locked_until)
        .on_conflict_do_nothing(index_elements=["scope", "key"])
        .returning(IdempotencyKey.id)
    )
    return (await session.execute(stmt)).first() is not None


async def delete_unfinished(session: AsyncSession, scope: str, key: str) -> None:
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.scope == scope, IdempotencyKey.key == key, IdempotencyKey.status == "in_progress"
        )
    )


async def delete_older_than(session: AsyncSession, moment: datetime) -> int:
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < moment))
    return int(getattr(result, "rowcount", 0) or 0)


async def store_answer(
    session: AsyncSession,
    scope: str,
    key: str,
    *,
    status: int,
    body: dict[str, object],
    headers: dict[str, str] | None,
) -> bool:
    """Marks the key done with its answer; False when there is no such key."""
    result = await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
        .values(status="done", response_status=status, response_body=body, response_headers=headers)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
