"""Migrations on a database that already holds data, on the database the suite runs on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from alembic import command
from sqlalchemy import text

from congdan.config import Settings
from congdan.migrate import alembic_config
from tests.fresh_db import fresh_settings


@pytest_asyncio.fixture
async def empty_settings(tmp_path: Path) -> AsyncIterator[Settings]:
    async with fresh_settings(tmp_path / "data") as settings:
        yield settings


async def _run(settings: Settings, revision: str, *, down: bool = False) -> None:
    settings.ensure_dirs()
    config = alembic_config(settings)
    step = command.downgrade if down else command.upgrade
    await asyncio.to_thread(step, config, revision)


async def _execute(settings: Settings, sql: str, **params: object) -> list[tuple[object, ...]]:
    from congdan.db import make_engine

    engine = make_engine(settings)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return [tuple(r) for r in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_0002_gives_existing_categories_their_default_rules(empty_settings: Settings) -> None:
    report_id = uuid.uuid4()
    await _run(empty_settings, "0001")
    await _execute(
        empty_settings,
        "INSERT INTO agencies (code, name, name_en, kind, is_active) "
        "VALUES ('sawaco', 'Tổng công ty Cấp nước Sài Gòn', 'Saigon Water', 'company', true)",
    )
    for code, level, agency in (
        ("water_supply", "city", "sawaco"),
        ("noise", "ward", None),
        ("other", "city", None),
    ):
        await _execute(
            empty_settings,
            "INSERT INTO categories (code, name_vi, name_en, level, deadline_days, duplicate_radius_m, "
            "default_agency_code, sort_order, is_active) VALUES (:c, :c, :c, :l, 3, 50, :a, 0, true)",
            c=code,
            l=level,
            a=agency,
        )
    await _execute(
        empty_settings,
        "INSERT INTO reports (id, tracking_code, kind, category_code, description, search_text, status, "
        "area_approximate, is_public, hide_identity, created_at, updated_at) VALUES "
        "(:id, 'AAAAA-AAAAA', 'report', 'noise', 'ồn', 'on', 'assigned', true, true, false, "
        "'2026-11-01 00:00:00', '2026-11-01 00:00:00')",
        # SQLite keeps UUIDs as 32 hex digits, PostgreSQL as uuid.
        id=report_id.hex if empty_settings.is_sqlite else str(report_id),
    )
    await _run(empty_settings, "0002")
    rules = sorted(
        await _execute(
            empty_settings,
            "SELECT category_code, agency_code, to_unit_committee, priority FROM routing_rules",
        )
    )
    assert rules == [("noise", None, True, 0), ("water_supply", "sawaco", False, 0)]
    # The report written before the migration is still there, with no routing facts.
    assert await _execute(
        empty_settings, "SELECT category_source, classifier_version, category_confidence FROM reports"
    ) == [(None, None, None)]
    # Down and up again.
    await _run(empty_settings, "0001", down=True)
    assert await _execute(empty_settings, "SELECT count(*) FROM reports") == [(1,)]
    await _run(empty_settings, "head")


async def test_0007_keeps_remembered_answers_and_adds_their_headers(empty_settings: Settings) -> None:
    await _run(empty_settings, "0006")
    key_id = uuid.uuid4()
    await _execute(
        empty_settings,
        "INSERT INTO idempotency_keys (id, scope, key, request_hash, status, response_status, "
        "locked_until, created_at) VALUES (:id, 'reports:anonymous', 'k1', :h, 'done', 201, "
        "'2026-11-01 00:00:00', '2026-11-01 00:00:00')",
        id=key_id.hex if empty_settings.is_sqlite else str(key_id),
        h="0" * 64,
    )
    await _run(empty_settings, "0007")
    assert await _execute(empty_settings, "SELECT key, response_headers FROM idempotency_keys") == [
        ("k1", None)
    ]
    await _run(empty_settings, "0006", down=True)
    assert await _execute(empty_settings, "SELECT key FROM idempotency_keys") == [("k1",)]
    await _run(empty_settings, "head")


async def test_0010_fills_reopened_times_and_seeds_rejection_reasons(empty_settings: Settings) -> None:
    await _run(empty_settings, "0007")

    def uid(value: uuid.UUID) -> str:
        return value.hex if empty_settings.is_sqlite else str(value)

    reopened, plain = uuid.uuid4(), uuid.uuid4()
    for report_id, code in ((reopened, "AAAAA-AAAAA"), (plain, "BBBBB-BBBBB")):
        await _execute(
            empty_settings,
            "INSERT INTO reports (id, tracking_code, kind, description, search_text, status, "
            "area_approximate, is_public, hide_identity, created_at, updated_at) VALUES "
            "(:id, :code, 'report', 'ồn', 'on', 'assigned', true, true, false, "
            "'2026-11-01 00:00:00', '2026-11-01 00:00:00')",
            id=uid(report_id),
            code=code,
        )
    for when in ("2026-11-03 00:00:00", "2026-11-05 00:00:00"):
        await _execute(
            empty_settings,
            "INSERT INTO report_events (id, report_id, type, from_status, to_status, actor_role, is_public, "
            f"created_at) VALUES (:id, :r, 'status', 'resolved', 'reopened', 'resident', true, '{when}')",
            id=uid(uuid.uuid4()),
            r=uid(reopened),
        )
    await _run(empty_settings, "0010")
    rows = await _execute(empty_settings, "SELECT tracking_code, reopened_at, assignee_id FROM reports")
    times = {code: (str(at)[:19] if at else None, assignee) for code, at, assignee in rows}
    assert times == {"AAAAA-AAAAA": ("2026-11-05 00:00:00", None), "BBBBB-BBBBB": (None, None)}
    reasons = await _execute(
        empty_settings, "SELECT code FROM rejection_reasons WHERE is_active ORDER BY sort_order"
    )
    assert [r[0] for r in reasons][-1] == "other" and len(reasons) == 8
    await _run(empty_settings, "0007", down=True)
    assert await _execute(empty_settings, "SELECT count(*) FROM report_events") == [(2,)]
    await _run(empty_settings, "head")


async def test_0011_gives_reports_sent_before_it_the_hash_of_their_contact(empty_settings: Settings) -> None:
    await _run(empty_settings, "0007")
    keyring = empty_settings.keyring
    report_id = uuid.uuid4()
    await _execute(
        empty_settings,
        "INSERT INTO reports (id, tracking_code, kind, description, search_text, status, contact_phone, "
        "contact_email, area_approximate, is_public, hide_identity, created_at, updated_at) VALUES "
        "(:id, 'AAAAA-BBBBB', 'report', 'Ổ gà', 'o ga', 'submitted', :phone, NULL, true, true, false, "
        "'2026-11-01 00:00:00', '2026-11-01 00:00:00')",
        id=report_id.hex if empty_settings.is_sqlite else str(report_id),
        phone=keyring.seal("+84912345678", "reports.contact_phone"),
    )
    await _run(empty_settings, "0011")
    assert await _execute(empty_settings, "SELECT contact_phone_hash, contact_email_hash FROM reports") == [
        (keyring.lookup_hash("+84912345678"), None)
    ]
    await _run(empty_settings, "0007", down=True)
    assert await _execute(empty_settings, "SELECT tracking_code FROM reports") == [("AAAAA-BBBBB",)]
    await _run(empty_settings, "head")
