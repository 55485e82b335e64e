"""Engine, sessions and the column types shared by every model."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import uuid6
from sqlalchemy import DateTime, MetaData, event, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

from congdan.config import Settings
from congdan.kit import crypto

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def new_id() -> uuid.UUID:
    """Time-ordered ids index well and sort by creation."""
    return uuid.UUID(int=uuid6.uuid7().int)


def utcnow() -> datetime:
    return datetime.now(UTC)


_HELD = "congdan.held"
Row = TypeVar("Row")


def hold(session: AsyncSession, *rows: object) -> None:
    """Keeps rows this unit of work has read and will show again before it ends (the category and
    agency of a report just written, for its answer): the session's identity map holds a row only
    while something else does, so without this they would be read a second time."""
    kept = session.info.setdefault(_HELD, {})
    for row in rows:
        if row is not None:
            kept[(type(row), inspect(row).identity)] = row


def held(session: AsyncSession, model: type[Row], *key: object) -> Row | None:
    """A row `hold` kept, by its primary key, unless a commit has expired it since."""
    row = session.info.get(_HELD, {}).get((model, key))
    return row if isinstance(row, model) and not inspect(row).expired_attributes else None


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware datetime (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(settings: Settings, *, url: str | None = None) -> AsyncEngine:
    """The primary's engine, or with `url` another server's with the same settings (a replica)."""
    # Sealed columns need the keys; a missing key in production stops startup here.
    keyring = settings.keyring
    crypto.install(keyring)
    url = url or settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.ensure_dirs()
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine)
    else:
        engine = _postgres_engine(url, settings)
    crypto.attach(engine.dialect, keyring)
    return engine


def _postgres_engine(url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        # No ping before each checkout (a round trip per request, whole-pool wide): a connection
        # the server dropped fails its first statement instead, SQLAlchemy then invalidates the
        # pool, and the request answers 503 with Retry-After (app.py) so the client retries.
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_timeout=10,
        connect_args={"timeout": 5, "command_timeout": 30},
    )


def _tune_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how a transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads then writes fails at once with SQLITE_BUSY
        # under WAL; taking the write lock up front makes writers queue instead. Units of work
        # that only read say so (READ_ONLY) and take no lock, so reads never wait for writers.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextlib.asynccontextmanager
async def standalone_transaction(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session in one transaction on its own engine, for CLI commands outside the server."""
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


READ_ONLY = "congdan_read_only"


class ReadOnlyViolation(RuntimeError):
    """A unit of work opened for reading tried to write: its surface must declare that it writes."""


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for units of work that only read: no write lock on SQLite, and any attempt to
    flush a change is refused (so a forgotten declaration is found by the first test, not lost)."""
    maker = async_sessionmaker(
        engine.execution_options(**{READ_ONLY: True}),
        expire_on_commit=False,
        autoflush=False,
        info={READ_ONLY: True},
    )
    return maker


@event.listens_for(Session, "before_flush")
def _refuse_writes_when_reading(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise ReadOnlyViolation("a read-only unit of work tried to write")


@event.listens_for(Session, "do_orm_execute")
def _refuse_statements_that_write(state: Any) -> None:
    if state.session.info.get(READ_ONLY) and (state.is_insert or state.is_update or state.is_delete):
        raise ReadOnlyViolation("a read-only unit of work tried to write")
