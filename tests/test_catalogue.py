"""The procedure catalogue: the seeded procedures, search that forgives missing accents and typos,
the filters, the JSON API's answers, and an edit as a new version with the old one kept."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from congdan.authz.policy import Principal
from congdan.catalogue import service
from congdan.catalogue.data import FIELDS, LIFE_EVENTS
from congdan.catalogue.schemas import ProcedureDraft
from congdan.kit.errors import BadRequest, Forbidden, ValidationFailed
from congdan.models import Procedure, ProcedureVersion
from tests.staff_admin_support import principal_of, signed_in

API = "/api/v1/procedures"


async def _codes(client: httpx.AsyncClient, **params: str) -> list[str]:
    answer = await client.get(API, params=params)
    assert answer.status_code == 200, answer.text
    return [p["code"] for p in answer.json()]


async def test_at_least_thirty_procedures_are_seeded_each_with_its_legal_basis(maker: Any) -> None:
    async with maker() as session:
        procedures = (await session.scalars(select(Procedure))).all()
        versions = (await session.scalars(select(ProcedureVersion))).all()
    assert len(procedures) >= 30
    assert {v.procedure_code for v in versions} == {p.code for p in procedures}
    for v in versions:
        assert v.number == 1
        assert v.content["legal_basis"], v.procedure_code
        assert v.content["steps"] and v.content["documents"], v.procedure_code
        assert v.field in FIELDS
        assert set(v.content["life_events"]) <= set(LIFE_EVENTS)


@pytest.mark.parametrize(
    "query", ["đăng ký khai sinh", "dang ky khai sinh", "dang ki khai sin", "DANG KY KHAI SINH"]
)
async def test_search_finds_birth_registration_first_with_or_without_accents_and_typos(
    client: httpx.AsyncClient, query: str
) -> None:
    assert (await _codes(client, q=query))[0] == "HT-01"


async def test_search_by_keyword_and_by_field_name(client: httpx.AsyncClient) -> None:
    assert "DD-02" in (await _codes(client, q="so do"))[:3]
    assert "CT-02" in (await _codes(client, q="tam tru"))[:3]
    found = await _codes(client, q="ho tich")
    assert found and all(code.startswith("HT-") for code in found[:5])


async def test_a_query_about_nothing_in_the_catalogue_finds_nothing(client: httpx.AsyncClient) -> None:
    assert await _codes(client, q="qwxzvbn") == []


async def test_field_and_life_event_filters(client: httpx.AsyncClient) -> None:
    residence = await _codes(client, field="cu_tru")
    assert residence and all(code.startswith("CT-") for code in residence)
    baby = await _codes(client, life_event="co_em_be")
    assert "HT-01" in baby and "BH-04" in baby and "CT-01" not in baby
    assert (await _codes(client, life_event="nguoi_than_qua_doi", q="khai tu"))[0] == "HT-05"


@pytest.mark.parametrize("params", [{"field": "khong_co"}, {"life_event": "di_du_lich"}])
async def test_an_unknown_filter_is_a_problem(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    answer = await client.get(API, params=params)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["field"] in params


async def test_one_procedure_and_an_unknown_code(client: httpx.AsyncClient) -> None:
    answer = await client.get(f"{API}/HT-01")
    assert answer.status_code == 200
    body = answer.json()
    assert body["name"] == "Đăng ký khai sinh" and body["version"] == 1
    assert "Luật Hộ tịch 2014" in body["legal_basis"]
    assert any(d["template_url"] for d in body["documents"])
    listed = (await client.get(f"{API}/HT-01/versions")).json()
    only = {"number": 1, "effective_from": "2025-07-01", "current": True}
    assert listed["code"] == "HT-01" and len(listed["items"]) == 1
    assert listed["items"][0] == only | {"created_at": listed["items"][0]["created_at"]}
    for path in (f"{API}/XX-99", f"{API}/HT-01/versions/7", f"{API}/khong-hop-le", f"{API}/XX-99/versions"):
        missing = await client.get(path)
        assert missing.status_code in (404, 422), path
        assert missing.headers["content-type"].startswith("application/problem+json")


def _draft(**changes: Any) -> ProcedureDraft:
    base: dict[str, Any] = {
        "name": "Đăng ký khai sinh cho trẻ",
        "field": "ho_tich",
        "level": "ward",
        "handled_by": "Ủy ban nhân dân phường, xã nơi cư trú",
        "online_mode": "full",
        "processing_days": 1,
        "fee_text": "Miễn phí",
        "effective_from": date(2026, 1, 1),
        "steps": ["Nộp tờ khai", "Nhận giấy khai sinh"],
        "documents": [{"name": "Giấy chứng sinh"}],
        "legal_basis": ["Luật Hộ tịch 2014"],
        "life_events": ["co_em_be"],
        "keywords": ["khai sinh", "làm giấy cho bé"],
    }
    return ProcedureDraft(**(base | changes))


async def _admin(app: Any, maker: Any) -> Principal:
    async with signed_in(app, maker) as admin:
        return await principal_of(maker, admin)


async def test_an_edit_makes_version_two_and_keeps_version_one(
    app: Any, client: httpx.AsyncClient, maker: Any
) -> None:
    admin = await _admin(app, maker)
    async with maker() as session:
        await service.find(session, "khai sinh")  # the index is built before the edit
    async with maker() as session, session.begin():
        first = await service.current(session, "HT-01")
        second = await service.edit(session, admin, "HT-01", _draft())
    assert second.number == 2
    now = (await client.get(f"{API}/HT-01")).json()
    assert now["version"] == 2 and now["name"] == "Đăng ký khai sinh cho trẻ"
    old = (await client.get(f"{API}/HT-01/versions/1")).json()
    assert old["name"] == "Đăng ký khai sinh" and old["current_version"] == 2
    assert old["version_id"] == str(first.id)
    # The index sees the edit: the new keyword finds it.
    assert (await _codes(client, q="lam giay cho be"))[0] == "HT-01"
    async with maker() as session:
        assert (await service.version_by_id(session, first.id)).name == "Đăng ký khai sinh"


async def test_an_edit_with_an_unknown_field_or_by_a_non_admin_changes_nothing(app: Any, maker: Any) -> None:
    admin = await _admin(app, maker)
    officer = Principal(account_id=admin.account_id, role="agency_officer", agency_code="so_xay_dung")
    async with maker() as session:
        with pytest.raises(BadRequest):
            await service.edit(session, admin, "HT-01", _draft(field="khong_co"))
        with pytest.raises(ValidationFailed):
            await service.edit(session, admin, "HT-01", _draft(agency_code="khong_co"))
        with pytest.raises(Forbidden):
            await service.edit(session, officer, "HT-01", _draft())
        await session.rollback()
    async with maker() as session:
        assert (await service.current(session, "HT-01")).number == 1
