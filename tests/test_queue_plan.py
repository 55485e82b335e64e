"""On PostgreSQL the queue's page and counts use the indexes of migrations 0010 and 0017, not a scan of
every report: checked with EXPLAIN on a database of 200,000 reports, 8,000 of them open, in a
database of its own."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from congdan.authz.policy import Principal, queue_filter
from congdan.db import make_engine, make_sessionmaker, utcnow
from congdan.migrate import upgrade_schema
from congdan.workbench import repository
from congdan.workbench.schemas import QueueFilters
from tests.fresh_db import fresh_settings

AGENCIES = [f"agency_{i:02d}" for i in range(20)]
QUEUE_INDEXES = {"ix_reports_open_agency_due", "ix_reports_agency_status_due"}

FILL = """
INSERT INTO reports (id, tracking_code, kind, description, search_text, status, agency_code,
                     area_approximate, is_public, hide_identity, due_at, created_at, updated_at)
SELECT gen_random_uuid(), 'T' || lpad(i::text, 10, '0'), 'report', 'ổ gà', 'o ga',
       CASE WHEN i % 49 = 0 THEN 'assigned' WHEN i % 49 = 1 THEN 'in_progress' ELSE 'closed' END,
       'agency_' || lpad((i % 20)::text, 2, '0'), true, i % 3 > 0, false,
       now() + ((i % 1000) - 500) * interval '1 hour', now(), now()
FROM generate_series(1, :n) AS i
"""


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += _plan_nodes(child)
    return nodes


async def test_queue_uses_its_indexes(tmp_path: Path, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("the plan is PostgreSQL's")
    async with fresh_settings(tmp_path / "data") as settings:
        await asyncio.to_thread(upgrade_schema, settings)
        engine = make_engine(settings)
        try:
            async with engine.begin() as conn:
                for code in AGENCIES:
                    await conn.execute(
                        text(
                            "INSERT INTO agencies (code, name, name_en, kind, is_active) "
                            "VALUES (:c, :c, :c, 'department', true)"
                        ),
                        {"c": code},
                    )
                await conn.execute(text(FILL), {"n": 200_000})
            async with engine.connect() as conn:
                await (await conn.execution_options(isolation_level="AUTOCOMMIT")).exec_driver_sql(
                    "VACUUM ANALYZE reports"
                )

            seen: list[tuple[str, Any]] = []

            def capture(
                _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool
            ) -> None:
                if statement.lstrip().upper().startswith("SELECT") and "FROM reports" in statement:
                    seen.append((statement, parameters))

            event.listen(engine.sync_engine, "before_cursor_execute", capture)
            officer = Principal(account_id=uuid.uuid4(), role="agency_officer", agency_code="agency_07")
            scope = queue_filter(officer, None)
            now = utcnow()
            async with make_sessionmaker(engine)() as session:
                page = await repository.queue_page(session, scope, QueueFilters(), now, after=None, limit=51)
                assert len(page) == 51
                assert [r.due_at for r in page] == sorted(r.due_at for r in page if r.due_at)
                after = (page[-1].due_at, page[-1].id)
                await repository.queue_page(session, scope, QueueFilters(), now, after=after, limit=51)
                await repository.queue_counts(session, scope, QueueFilters(), now)
                await repository.queue_counts(session, scope, QueueFilters(due="overdue"), now)
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
            assert len(seen) == 4  # two pages, and one query for all the counts of each filter
            plans: list[tuple[set[str], list[dict[str, Any]]]] = []
            async with engine.connect() as conn:
                for statement, parameters in seen:
                    result = await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
                    raw = result.scalar()
                    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
                    nodes = _plan_nodes(plan)
                    scans = [n for n in nodes if n.get("Relation Name") == "reports"]
                    assert scans, statement
                    assert not [n for n in scans if n["Node Type"] == "Seq Scan"], (statement, plan)
                    used = {n["Index Name"] for n in nodes if "Index Name" in n}
                    assert used & QUEUE_INDEXES, (statement, plan)
                    plans.append((used, scans))
            # The first page and the counts read the index of open reports alone, in its order: no
            # sort of the agency's reports and no visit to the table for the counts.
            page_used, _page_scans = plans[0]
            assert "ix_reports_open_agency_due" in page_used, plans[0]
            _counts_used, counts_scans = plans[2]
            assert [n["Node Type"] for n in counts_scans] == ["Index Only Scan"], plans[2]
        finally:
            await engine.dispose()
