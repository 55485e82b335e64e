"""Migrations on a database that already holds data, on the database the suite runs on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

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


async def test_0019_adds_the_new_categories_to_a_seeded_database_and_removes_only_unused_ones(
    empty_settings: Settings,
) -> None:
    await _run(empty_settings, "0017")
    await _run(empty_settings, "0019")
    # A database the seed has not filled yet gets nothing from this revision: the seed adds it all.
    assert await _execute(empty_settings, "SELECT count(*) FROM categories") == [(0,)]
    await _run(empty_settings, "0018", down=True)
    await _execute(
        empty_settings,
        "INSERT INTO agencies (code, name, name_en, kind, is_active) "
        "VALUES ('evnhcmc', 'Tổng Công ty Điện lực TP.HCM', 'Power Corporation', 'company', true)",
    )
    for order, code in enumerate(("road_damage", "other")):
        await _execute(
            empty_settings,
            "INSERT INTO categories (code, name_vi, name_en, level, deadline_days, duplicate_radius_m, "
            "sort_order, is_active) VALUES (:c, :c, :c, 'city', 3, 50, :o, true)",
            c=code,
            o=order,
        )
    await _run(empty_settings, "0019")
    categories = await _execute(
        empty_settings, "SELECT code, default_agency_code, level FROM categories ORDER BY sort_order"
    )
    assert categories == [
        ("road_damage", None, "city"),
        ("electricity", "evnhcmc", "city"),
        ("public_transport", "giao_thong_cong_cong", "city"),
        ("telecom", "so_khoa_hoc_cong_nghe", "city"),
        ("other", None, "city"),
    ]
    assert sorted(await _execute(empty_settings, "SELECT code, kind FROM agencies")) == [
        ("evnhcmc", "company"),
        ("giao_thong_cong_cong", "department"),
        ("so_khoa_hoc_cong_nghe", "department"),
    ]
    assert sorted(
        await _execute(
            empty_settings, "SELECT category_code, agency_code, to_unit_committee FROM routing_rules"
        )
    ) == [
        ("electricity", "evnhcmc", False),
        ("public_transport", "giao_thong_cong_cong", False),
        ("telecom", "so_khoa_hoc_cong_nghe", False),
    ]
    # A report filed under telecom keeps that category, and its agency, when going down.
    report_id = uuid.uuid4()
    await _execute(
        empty_settings,
        "INSERT INTO reports (id, tracking_code, kind, category_code, agency_code, description, search_text, "
        "status, area_approximate, is_public, hide_identity, created_at, updated_at) VALUES "
        "(:id, 'CCCCC-CCCCC', 'report', 'telecom', 'so_khoa_hoc_cong_nghe', 'cáp rớt', 'cap rot', "
        "'assigned', true, true, false, '2026-11-01 00:00:00', '2026-11-01 00:00:00')",
        id=report_id.hex if empty_settings.is_sqlite else str(report_id),
    )
    await _run(empty_settings, "0018", down=True)
    assert await _execute(empty_settings, "SELECT code FROM categories ORDER BY code") == [
        ("other",),
        ("road_damage",),
        ("telecom",),
    ]
    assert await _execute(empty_settings, "SELECT code FROM agencies ORDER BY code") == [
        ("evnhcmc",),
        ("so_khoa_hoc_cong_nghe",),
    ]
    assert await _execute(empty_settings, "SELECT category_code FROM routing_rules") == [("telecom",)]
    assert await _execute(empty_settings, "SELECT category_code FROM reports") == [("telecom",)]
    # Up again: what went comes back, what stayed is not added twice.
    await _run(empty_settings, "head")
    assert await _execute(empty_settings, "SELECT count(*) FROM categories") == [(5,)]
    assert await _execute(empty_settings, "SELECT count(*) FROM routing_rules") == [(3,)]
    assert await _execute(empty_settings, "SELECT count(*) FROM agencies") == [(3,)]


async def test_0018_puts_the_newest_classifier_version_in_use(empty_settings: Settings) -> None:
    await _run(empty_settings, "0017")
    await _execute(empty_settings, "DELETE FROM classifier_models")
    for version in (1, 3, 2):
        await _execute(
            empty_settings,
            "INSERT INTO classifier_models (version, created_at, n_examples, n_corrections, corpus_sha256, "
            "heldout_top1, heldout_top3, blob) VALUES (:v, '2026-11-01 00:00:00', 10, 0, 'x', 0.5, 0.8, :b)",
            v=version,
            b=b"model",
        )
    await _run(empty_settings, "0018")
    assert sorted(await _execute(empty_settings, "SELECT version, is_active FROM classifier_models")) == [
        (1, False),
        (2, False),
        (3, True),
    ]
    with pytest.raises(IntegrityError):  # one active version at most
        await _execute(empty_settings, "UPDATE classifier_models SET is_active = true WHERE version = 1")
    await _run(empty_settings, "0017", down=True)
    assert sorted(await _execute(empty_settings, "SELECT version FROM classifier_models")) == [
        (1,),
        (2,),
        (3,),
    ]
    await _run(empty_settings, "head")


async def test_0022_adds_the_request_id_to_outbox_rows_and_takes_it_away_again(
    empty_settings: Settings,
) -> None:
    await _run(empty_settings, "0021")
    row_id = uuid.uuid4()
    await _execute(
        empty_settings,
        "INSERT INTO outbox (id, event_type, aggregate_type, aggregate_id, payload, status, attempts, "
        "available_at, created_at, priority) VALUES (:id, 'test.kept', 'test', '1', '{}', 'pending', 0, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)",
        id=row_id.hex if empty_settings.is_sqlite else str(row_id),
    )
    await _run(empty_settings, "0022")
    assert await _execute(empty_settings, "SELECT request_id FROM outbox") == [(None,)]
    await _execute(empty_settings, "UPDATE outbox SET request_id = 'abc-123'")
    await _run(empty_settings, "0021", down=True)
    assert await _execute(empty_settings, "SELECT event_type FROM outbox") == [("test.kept",)]
    columns = await _execute(empty_settings, "SELECT * FROM outbox")
    assert len(columns[0]) == 14
