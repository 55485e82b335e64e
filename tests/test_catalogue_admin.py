"""Administrators edit a procedure on the workbench: saving writes version 2, keeps version 1
readable and is audited; a bad form is shown again with nothing saved; others are refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from congdan.catalogue.service import VERSION_ADDED
from tests.staff_admin_support import NON_ADMINS, Maker, audited, post_form, signed_in

EDIT = "/staff/admin/thu-tuc/CT-02"
FORM = {
    "name": "Đăng ký tạm trú (nộp trực tuyến)",
    "field": "cu_tru",
    "level": "ward",
    "agency_code": "",
    "handled_by": "Công an phường, xã nơi cư trú",
    "online_mode": "full",
    "processing_days": "2",
    "fee_text": "7.000 đồng khi nộp trực tuyến",
    "fee_vnd": "7000",
    "effective_from": "2026-12-15",
    "steps": "Nộp hồ sơ trên Cổng Dịch vụ công\nNhận kết quả qua VNeID",
    "documents": "Tờ khai CT01 | 1 | | to-khai-cu-tru-ct01.pdf\nHợp đồng thuê nhà | 1 | Bản chụp",
    "legal_basis": "Luật Cư trú 2020\nNghị định 154/2024/NĐ-CP",
    "life_events": "chuyen_noi_o",
    "keywords": "tạm trú, thuê trọ",
}


async def _version(client: httpx.AsyncClient, n: int | None = None) -> dict[str, Any]:
    path = "/api/v1/procedures/CT-02" + (f"/versions/{n}" if n else "")
    answer = await client.get(path)
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


async def test_an_administrator_saves_version_two_and_version_one_stays(
    app: Any, maker: Maker, client: httpx.AsyncClient
) -> None:
    async with signed_in(app, maker) as admin:
        listing = await admin.get("/staff/admin/thu-tuc")
        assert listing.status_code == 200 and 'href="/staff/admin/thu-tuc/CT-02"' in listing.text
        page = await admin.get(EDIT)
        assert "Đăng ký tạm trú" in page.text and "Luật Cư trú 2020" in page.text
        r = await post_form(admin, EDIT, EDIT, **FORM)
        assert r.status_code == 303 and r.headers["location"] == "/staff/admin/thu-tuc?done=CT-02"
    now = await _version(client)
    assert now["version"] == 2 and now["name"] == FORM["name"] and now["fee_vnd"] == 7000
    assert now["documents"][0]["template_url"] == "/dich-vu-cong/mau/to-khai-cu-tru-ct01.pdf"
    assert now["documents"][1]["note"] == "Bản chụp"
    first = await _version(client, 1)
    assert first["name"] == "Đăng ký tạm trú" and first["current_version"] == 2
    assert await audited(maker, VERSION_ADDED) == 1

    # Both versions are listed, newest first, and each text has its own page.
    listed = (await client.get("/api/v1/procedures/CT-02/versions")).json()
    assert [(v["number"], v["current"]) for v in listed["items"]] == [(2, True), (1, False)]
    assert listed["items"][0]["effective_from"] == "2026-12-15"
    async with signed_in(app, maker) as admin:
        page = await admin.get(EDIT)
    assert 'href="/dich-vu-cong/CT-02/phien-ban/1"' in page.text
    assert 'href="/dich-vu-cong/CT-02/phien-ban/2"' in page.text
    old = await client.get("/dich-vu-cong/CT-02/phien-ban/1")
    assert old.status_code == 200
    assert "Đây là phiên bản 1, không còn áp dụng cho hồ sơ mới" in old.text
    assert "Luật Cư trú 2020" in old.text and "Nhận kết quả qua VNeID" not in old.text
    assert 'href="/dich-vu-cong/CT-02"' in old.text
    now_page = await client.get("/dich-vu-cong/CT-02")
    assert "không còn áp dụng" not in now_page.text and "Nhận kết quả qua VNeID" in now_page.text
    assert 'href="/dich-vu-cong/CT-02/phien-ban/1"' in now_page.text


async def test_a_bad_form_is_shown_again_and_nothing_is_saved(
    app: Any, maker: Maker, client: httpx.AsyncClient
) -> None:
    async with signed_in(app, maker) as admin:
        r = await post_form(admin, EDIT, EDIT, **(FORM | {"processing_days": "nhiều", "legal_basis": ""}))
        assert r.status_code == 422
        assert "Chưa lưu được" in r.text
    assert (await _version(client))["version"] == 1
    assert await audited(maker, VERSION_ADDED) == 0


@pytest.mark.parametrize(("role", "agency"), NON_ADMINS)
async def test_others_are_refused_and_nothing_changes(
    app: Any, maker: Maker, client: httpx.AsyncClient, role: str, agency: str | None
) -> None:
    async with signed_in(app, maker, role, agency) as staff:
        assert (await staff.get("/staff/admin/thu-tuc")).status_code == 403
        assert (await staff.get(EDIT)).status_code == 403
        # With a valid form token from a page they may open: refused all the same.
        r = await post_form(staff, "/staff/tai-khoan", EDIT, **FORM)
        assert r.status_code == 403
    assert (await _version(client))["version"] == 1
