"""Queries for routing rules, classifier versions, corrections and duplicate candidates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, undefer

from congdan.authz.policy import Principal, visible_to
from congdan.models import ClassifierExample, ClassifierModel, Report, RoutingRule


async def matching_rules(
    session: AsyncSession, category_code: str | None, area_code: str | None, area_type: str | None
) -> Sequence[RoutingRule]:
    stmt = select(RoutingRule).where(
        RoutingRule.is_active.is_(True),
        or_(RoutingRule.category_code.is_(None), RoutingRule.category_code == category_code),
        or_(RoutingRule.area_code.is_(None), RoutingRule.area_code == area_code),
        or_(RoutingRule.area_type.is_(None), RoutingRule.area_type == area_type),
    )
    return (await session.scalars(stmt)).all()


async def list_rules(session: AsyncSession, category_code: str | None = None) -> Sequence[RoutingRule]:
    stmt = select(RoutingRule).order_by(
        RoutingRule.category_code, RoutingRule.priority.desc(), RoutingRule.created_at
    )
    if category_code:
        stmt = stmt.where(RoutingRule.category_code == category_code)
    return (await session.scalars(stmt)).all()


async def get_rule(session: AsyncSession, rule_id: uuid.UUID) -> RoutingRule | None:
    return await session.get(RoutingRule, rule_id)


async def delete_rule(session: AsyncSession, rule: RoutingRule) -> None:
    await session.delete(rule)
    await session.flush()


async def categories_with_rules(session: AsyncSession) -> set[str]:
    stmt = select(RoutingRule.category_code).where(RoutingRule.category_code.is_not(None)).distinct()
    return {c for c in (await session.scalars(stmt)).all() if c is not None}


_VERSIONS_LOCK = 0x636C617373696679  # "classify"


async def lock_versions(session: AsyncSession) -> None:
    """Administrators changing the versions (activating one, queueing a training) take turns until
    commit, so that two at once neither queue two trainings nor collide on the one active version.
    SQLite needs nothing: its transactions begin IMMEDIATE and hold the write lock."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _VERSIONS_LOCK})


async def active_model(session: AsyncSession, *, with_blob: bool = True) -> ClassifierModel | None:
    stmt = select(ClassifierModel).where(ClassifierModel.is_active.is_(True))
    if not with_blob:
        stmt = stmt.options(defer(ClassifierModel.blob, raiseload=True))
    return (await session.scalars(stmt)).first()


async def active_version(session: AsyncSession) -> int | None:
    """One small indexed read: servers ask it every few seconds."""
    version: int | None = await session.scalar(
        select(ClassifierModel.version).where(ClassifierModel.is_active.is_(True))
    )
    return version


async def get_model(session: AsyncSession, version: int) -> ClassifierModel | None:
    """With its pickled model, even when the session already holds the row without it (a list)."""
    stmt = (
        select(ClassifierModel)
        .where(ClassifierModel.version == version)
        .options(undefer(ClassifierModel.blob))
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).first()


async def set_active(session: AsyncSession, version: int) -> None:
    """Two statements, the old one off before the new one on, as the unique index wants."""
    await session.execute(
        update(ClassifierModel)
        .where(ClassifierModel.is_active.is_(True), ClassifierModel.version != version)
        .values(is_active=False)
        .execution_options(synchronize_session="fetch")
    )
    await session.execute(
        update(ClassifierModel)
        .where(ClassifierModel.version == version)
        .values(is_active=True)
        .execution_options(synchronize_session="fetch")
    )


async def latest_version(session: AsyncSession) -> int | None:
    version: int | None = await session.scalar(select(func.max(ClassifierModel.version)))
    return version


async def corrections(session: AsyncSession) -> Sequence[ClassifierExample]:
    stmt = select(ClassifierExample).order_by(ClassifierExample.created_at)
    return (await session.scalars(stmt)).all()


async def correction_for(session: AsyncSession, report_id: uuid.UUID) -> ClassifierExample | None:
    stmt = select(ClassifierExample).where(ClassifierExample.report_id == report_id)
    return (await session.scalars(stmt)).first()


async def nearby_open(
    session: AsyncSession,
    *,
    category_code: str | None,
    statuses: Sequence[str],
    south: float,
    west: float,
    north: float,
    east: float,
    since: datetime,
    exclude: uuid.UUID | None,
    principal: Principal,
    limit: int = 200,
) -> Sequence[Report]:
    """Open reports in a box that the principal may see, newest first; the caller measures the
    real distance."""
    stmt = select(Report).where(
        Report.status.in_(statuses),
        Report.created_at >= since,
        Report.lat.between(south, north),
        Report.lon.between(west, east),
        visible_to(principal),
    )
    if category_code is not None:
        stmt = stmt.where(Report.category_code == category_code)
    if exclude is not None:
        stmt = stmt.where(Report.id != exclude)
    return (await session.scalars(stmt.order_by(Report.created_at.desc()).limit(limit))).all()


async def model_versions(session: AsyncSession) -> Sequence[ClassifierModel]:
    """Every stored version, newest first, without the pickled models."""
    stmt = (
        select(ClassifierModel)
        .options(defer(ClassifierModel.blob, raiseload=True))
        .order_by(ClassifierModel.version.desc())
    )
    return (await session.scalars(stmt)).all()


async def active_rules_to(session: AsyncSession, agency_code: str) -> Sequence[RoutingRule]:
    stmt = select(RoutingRule).where(RoutingRule.agency_code == agency_code, RoutingRule.is_active.is_(True))
    return (await session.scalars(stmt.order_by(RoutingRule.category_code, RoutingRule.id))).all()
