"""Reports made straight in the database, for the workbench tests: the queue's order and counts
depend on due dates and statuses that would take days to reach through the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import new_id, utcnow
from congdan.models import Report

AGENCY = "so_xay_dung"
OTHER = "sawaco"


async def make_report(maker: async_sessionmaker[AsyncSession], **fields: Any) -> uuid.UUID:
    report_id = new_id()
    now = utcnow()
    values: dict[str, Any] = {
        "id": report_id,
        "tracking_code": uuid.uuid4().hex[:11].upper(),
        "kind": "report",
        "category_code": "road_damage",
        "description": "Ổ gà sâu giữa đường Lê Lợi.",
        "search_text": "o ga sau giua duong le loi.",
        "status": "assigned",
        "agency_code": AGENCY,
        "area_code": "26743",
        "lat": 10.7725,
        "lon": 106.6980,
        "is_public": True,
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    async with maker() as session, session.begin():
        session.add(Report(**values))
    return report_id


async def account_id(client: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    r = await client.get("/api/v1/me", headers=headers)
    assert r.status_code == 200, r.text
    return uuid.UUID(r.json()["id"])


async def get_report(maker: async_sessionmaker[AsyncSession], report_id: uuid.UUID | str) -> Report:
    async with maker() as session:
        report = await session.get(Report, uuid.UUID(str(report_id)))
        assert report is not None
        return report


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def stamp(value: datetime) -> str:
    return value.isoformat()
