"""Characters XML 1.0 cannot carry (C0 controls other than tab and newlines, U+FFFE, U+FFFF) are
refused on the way in, and any already stored are dropped on the way out of the Open311 XML."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree as ET

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.models.open311 import Open311Submission
from congdan.models.reports import Report
from tests.conftest import report_body
from tests.open311_support import BASE, new_api_key, post_request, pothole_form

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x0b", "\ufffe", "\uffff"])
async def test_a_text_attribute_with_a_control_character_is_refused(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], char: str
) -> None:
    api_key = await new_api_key(maker)
    form = pothole_form(
        api_key,
        service_code="illegal_construction",
        **{"attribute[construction_details]": f"Hai tầng{char} xây thêm"},
    )
    form.pop("attribute[damage_type]")
    form.pop("attribute[pothole_size_cm]")
    async with maker() as session:
        before = await session.scalar(select(func.count()).select_from(Open311Submission))
    r = await post_request(client, form)
    assert r.status_code == 400, r.text  # Open311 names every bad input 400
    assert "U+" in r.text
    async with maker() as session:
        after = await session.scalar(select(func.count()).select_from(Open311Submission))
    assert after == before


@pytest.mark.parametrize("field", ["description", "address"])
async def test_the_json_api_refuses_control_characters_in_any_text(
    client: httpx.AsyncClient, field: str
) -> None:
    r = await client.post("/api/v1/reports", json=report_body(**{field: "Ổ gà\u0001 sâu"}))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["errors"][0]["field"] == field
    assert "U+0001" in problem["detail"]
    r = await client.post("/api/v1/reports", json=report_body(description="Ổ gà\nsâu\tlắm"))
    assert r.status_code == 201, r.text  # newlines and tabs are text


async def test_the_query_string_is_covered_too(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/agencies", params={"kind": "a\x02"})
    assert r.status_code == 422


async def test_stored_control_characters_never_break_the_xml(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    api_key = await new_api_key(maker)
    form = pothole_form(api_key, service_code="illegal_construction")
    form.pop("attribute[damage_type]")
    form.pop("attribute[pothole_size_cm]")
    form["attribute[construction_details]"] = "Hai tầng"
    r = await post_request(client, form)
    assert r.status_code == 201, r.text
    request_id = uuid.UUID(r.json()[0]["service_request_id"])
    # Written before the edge refused them: straight into the database.
    async with maker() as session, session.begin():
        await session.execute(
            update(Open311Submission)
            .where(Open311Submission.report_id == request_id)
            .values(attributes={"construction_details": "Hai\x01 tầng\x1b[31m\ufffe"})
        )
        await session.execute(
            update(Report).where(Report.id == request_id).values(description="Ổ gà\x08 lớn\x0c")
        )
    r = await client.get(f"{BASE}/requests.xml", params={"extensions": "true"})
    assert r.status_code == 200
    root = ET.fromstring(r.content)  # a real parser: raises on a document that is not well-formed
    texts = [el.text for el in root.iter("value") if el.text]
    assert "Hai tầng[31m" in texts
    descriptions = [el.text for el in root.iter("description")]
    assert "Ổ gà lớn" in descriptions
