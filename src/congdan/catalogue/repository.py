from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Procedure, ProcedureVersion


async def existing_codes(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(Procedure.code))).all())


async def stamp(session: AsyncSession) -> tuple[datetime | None, int]:
    """One aggregate over the small procedures table: changes whenever any process saves an edit."""
    row = (await session.execute(select(func.max(Procedure.updated_at), func.count()))).one()
    return row[0], int(row[1])


def _current() -> object:
    return and_(
        ProcedureVersion.procedure_code == Procedure.code,
        ProcedureVersion.number == Procedure.current_version,
    )


async def current_versions(session: AsyncSession) -> Sequence[ProcedureVersion]:
    stmt = select(ProcedureVersion).join(Procedure, _current()).order_by(ProcedureVersion.procedure_code)  # type: ignore[arg-type]
    return (await session.scalars(stmt)).all()


async def procedure(session: AsyncSession, code: str, *, for_update: bool = False) -> Procedure | None:
    stmt = select(Procedure).where(Procedure.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def current_version(session: AsyncSession, code: str) -> ProcedureVersion | None:
    stmt = select(ProcedureVersion).join(Procedure, _current()).where(Procedure.code == code)  # type: ignore[arg-type]
    return (await session.scalars(stmt)).first()


async def version(session: AsyncSession, code: str, number: int) -> ProcedureVersion | None:
    stmt = select(ProcedureVersion).where(
        ProcedureVersion.procedure_code == code, ProcedureVersion.number == number
    )
    return (await session.scalars(stmt)).first()


async def version_by_id(session: AsyncSession, version_id: uuid.UUID) -> ProcedureVersion | None:
    return await session.get(ProcedureVersion, version_id)


async def versions_of(session: AsyncSession, code: str) -> Sequence[ProcedureVersion]:
    stmt = select(ProcedureVersion).where(ProcedureVersion.procedure_code == code)
    return (await session.scalars(stmt.order_by(ProcedureVersion.number.desc()))).all()


async def add(session: AsyncSession, *rows: Procedure | ProcedureVersion) -> None:
    session.add_all(rows)
    await session.flush()
