"""The administrators' pages of agencies, routing rules and units: each
changed through its domain's service (seen through the JSON API or the service afterwards),
audited; bad input shown again with the service's error, nothing changed. The classifier's
versions are in test_staff_admin_classifier.py."""

from __future__ import annotations

from typing import Any

import httpx

from congdan.routing import rules
from tests.staff_admin_support import Maker, audited, post_form, principal_of, signed_in

# ---- agencies -------------------------------------------------------------------------------


async def test_an_administrator_adds_and_edits_an_agency_and_the_api_shows_it(
    app: Any, client: httpx.AsyncClient, maker: Maker
) -> None:
    page = "/staff/admin/co-quan"
    async with signed_in(app, maker) as admin:
        listing = await admin.get(page)
        assert listing.status_code == 200 and "Sở Xây dựng TP.HCM" in listing.text
        r = await post_form(
            admin,
            page,
            page,
            code="ban_giao_thong",
            name="Ban Quản lý Giao thông",
            name_en="Traffic Management Board",
            kind="department",
            email="BGT@tphcm.gov.vn",
            phone="028 1234 5678",
        )
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=created"
        assert "Đã thêm cơ quan." in (await admin.get(r.headers["location"])).text
        shown = (await client.get("/api/v1/agencies/ban_giao_thong")).json()
        assert (shown["name"], shown["kind"], shown["email"], shown["area_code"]) == (
            "Ban Quản lý Giao thông",
            "department",
            "bgt@tphcm.gov.vn",
            None,
        )
        edit = f"{page}/ban_giao_thong"
        r = await post_form(
            admin,
            edit,
            edit,
            name="Ban Giao thông",
            name_en="Traffic Board",
            email="",
            phone="1022",
            address="",
        )
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=ban_giao_thong"
        shown = (await client.get("/api/v1/agencies/ban_giao_thong")).json()
        assert (shown["name"], shown["name_en"], shown["email"], shown["phone"]) == (
            "Ban Giao thông",
            "Traffic Board",
            None,
            "1022",
        )
    assert await audited(maker, "agency.created") == 1
    assert await audited(maker, "agency.updated") == 1


async def test_a_bad_agency_is_shown_again_and_nothing_changes(
    app: Any, client: httpx.AsyncClient, maker: Maker
) -> None:
    page = "/staff/admin/co-quan"
    good = {"code": "moi", "name": "Mới", "name_en": "New", "kind": "department"}
    async with signed_in(app, maker) as admin:
        for bad, message in (
            ({"code": "so_xay_dung"}, "Mã cơ quan đã có: so_xay_dung."),
            ({"code": "Có Dấu"}, 'id="code-error"'),
            ({"kind": "committee"}, "UBND phải gắn với một đơn vị hành chính có thật."),
            ({"email": "khong-phai-email"}, "Địa chỉ email không hợp lệ."),
            ({"kind": "vu_tru"}, 'id="kind-error"'),
        ):
            r = await post_form(admin, page, page, **{**good, **bad})
            assert r.status_code in (409, 422), bad
            assert message in r.text, bad
        edit = f"{page}/sawaco"
        before = (await client.get("/api/v1/agencies/sawaco")).json()
        r = await post_form(admin, edit, edit, name=" ", name_en="x", email="", phone="", address="")
        assert r.status_code == 422 and "Trường này không được để trống." in r.text
        r = await admin.post(edit, data={"name": "Không token", "name_en": "No token"})
        assert r.status_code == 403
        assert (await client.get("/api/v1/agencies/sawaco")).json() == before
    assert (await client.get("/api/v1/agencies/moi")).status_code == 404
    assert await audited(maker, "agency.created") == 0
    assert await audited(maker, "agency.updated") == 0


# ---- routing rules --------------------------------------------------------------------------


async def _rules(maker: Maker, admin: httpx.AsyncClient, category: str) -> list[Any]:
    """As the routing service lists them for the JSON API."""
    me = await principal_of(maker, admin)
    async with maker() as session:
        return list(await rules.list_rules(session, me, category))


async def test_an_administrator_adds_takes_out_of_use_and_deletes_a_routing_rule(
    app: Any, maker: Maker
) -> None:
    page = "/staff/admin/phan-luong"
    async with signed_in(app, maker) as admin:
        listing = await admin.get(page)
        assert listing.status_code == 200 and "<h1>Luật phân luồng</h1>" in listing.text
        before = {r.id for r in await _rules(maker, admin, "road_damage")}
        r = await post_form(
            admin,
            page,
            page,
            category="road_damage",
            area_type="xa",
            receiver="sawaco",
            priority="5",
            is_active="1",
        )
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=created"
        [made] = [r for r in await _rules(maker, admin, "road_damage") if r.id not in before]
        assert (made.area_type, made.agency_code, made.to_unit_committee, made.priority, made.is_active) == (
            "xa",
            "sawaco",
            False,
            5,
            True,
        )
        r = await post_form(admin, page, page, category="road_damage", receiver="ubnd", priority="1")
        assert r.status_code == 303
        [committee] = [
            r for r in await _rules(maker, admin, "road_damage") if r.id not in before and r.id != made.id
        ]
        assert committee.to_unit_committee and committee.agency_code is None and not committee.is_active

        r = await post_form(admin, page, f"{page}/{made.id}/ngung-dung")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=deactivated"
        assert not next(r for r in await _rules(maker, admin, "road_damage") if r.id == made.id).is_active
        r = await post_form(admin, page, f"{page}/{made.id}/xoa")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=deleted"
        assert made.id not in {r.id for r in await _rules(maker, admin, "road_damage")}
    assert await audited(maker, "routing.rule_created") == 2
    assert await audited(maker, "routing.rule_updated") == 1
    assert await audited(maker, "routing.rule_deleted") == 1


async def test_a_bad_routing_rule_is_shown_again_and_nothing_changes(app: Any, maker: Maker) -> None:
    page = "/staff/admin/phan-luong"
    async with signed_in(app, maker) as admin:
        before = [r.id for r in await _rules(maker, admin, "road_damage")]
        r = await post_form(admin, page, page, category="road_damage", receiver="", priority="0")
        assert r.status_code == 422 and "Chọn đúng một nơi nhận" in r.text and 'id="receiver-error"' in r.text
        r = await post_form(admin, page, page, category="road_damage", receiver="khong_co", priority="0")
        assert r.status_code == 422 and "Cần chọn cơ quan xử lý có thật." in r.text
        r = await post_form(admin, page, page, category="road_damage", receiver="sawaco", priority="5000")
        assert r.status_code == 422 and 'id="priority-error"' in r.text
        r = await admin.post(page, data={"category": "road_damage", "receiver": "sawaco"})
        assert r.status_code == 403
        assert [r.id for r in await _rules(maker, admin, "road_damage")] == before
    assert await audited(maker, "routing.rule_created") == 0


# ---- units ----------------------------------------------------------------------------------


async def test_an_administrator_lists_and_searches_the_units(app: Any, maker: Maker) -> None:
    async with signed_in(app, maker) as admin:
        listing = await admin.get("/staff/admin/don-vi")
        assert listing.status_code == 200 and "<h1>Danh sách đơn vị hành chính</h1>" in listing.text
        assert "Phường Bến Thành" in listing.text and 'href="/staff/admin/co-quan/ubnd_' in listing.text
        found = await admin.get("/staff/admin/don-vi", params={"q": "ben thanh"})
        assert "Phường Bến Thành" in found.text and "1 đơn vị." in found.text
        english = await admin.get("/staff/admin/don-vi", params={"q": "ben thanh", "lang": "en"})
        assert "1 unit." in english.text and "<h1>Administrative units</h1>" in english.text
