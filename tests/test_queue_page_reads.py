"""What the queue page reads to show its rows: the categories, units and agencies its filter form
loads are the ones the rows are named from (each read once), and a page of deadlines on the same few
days counts working days once per day."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from congdan.areas.repository import get_area
from congdan.db import utcnow
from congdan.reports.deadlines import working_days_between
from tests.conftest import PASSWORD
from tests.staff_support import StaffLogin, page_sign_in
from tests.workbench_support import AGENCY, make_report

Maker = async_sessionmaker[AsyncSession]
REFERENCE = ("categories", "areas", "agencies")


@contextmanager
def _statements(app: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _reads_of(statements: list[str], table: str) -> int:
    return sum(
        1 for s in statements if re.search(rf"\bFROM {table}\b", s) and s.lstrip().startswith("SELECT")
    )


@asynccontextmanager
async def _coordinator(app: Any, maker: Maker) -> AsyncIterator[httpx.AsyncClient]:
    email = f"coordinator.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(
            session, email=email, password=PASSWORD, role="coordinator", agency_code=None, display_name="Điều"
        )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await page_sign_in(client, StaffLogin(email, PASSWORD))
        yield client


async def test_the_rows_are_named_from_what_the_filter_form_loaded(app: Any, maker: Maker) -> None:
    now = utcnow()
    for hours in (5, 30, 80):
        await make_report(maker, due_at=now + timedelta(hours=hours))
    async with maker() as session:
        area = await get_area(session, "26743")
    assert area is not None
    async with _coordinator(app, maker) as client:
        with _statements(app) as statements:
            page = await client.get("/staff/", params={"agency": AGENCY})
    assert page.status_code == 200
    # The rows still carry their names (category, unit), in three rows.
    rows = page.text[page.text.index("<tbody") :]
    assert rows.count("<td>Hư hỏng mặt đường, ổ gà, sụp lún</td>") == 3
    assert rows.count(f"<td>{area.name}</td>") == 3
    assert {table: _reads_of(statements, table) for table in REFERENCE} == dict.fromkeys(REFERENCE, 1)


async def test_deadlines_on_one_day_count_its_working_days_once(app: Any, maker: Maker) -> None:
    due = (utcnow() + timedelta(days=4)).replace(hour=3, minute=0)
    for minutes in range(6):
        await make_report(maker, due_at=due + timedelta(minutes=minutes))
    async with _coordinator(app, maker) as client:
        before = working_days_between.cache_info()
        page = await client.get("/staff/", params={"agency": AGENCY})
        after = working_days_between.cache_info()
    assert page.status_code == 200 and page.text.count("còn ") >= 6
    # Six deadlines on one day: at most one count of working days, the others remembered.
    assert after.misses - before.misses <= 1 and after.hits - before.hits >= 5
