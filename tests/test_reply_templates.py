"""Reply templates (placeholders checked when saved, filled safely, sent through the conversation
service) and the list of reasons a report is not accepted."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.workbench.replies import check_body, fill, vietnamese_date
from tests.conftest import Actors
from tests.workbench_support import AGENCY, OTHER, make_report

TEMPLATES = "/api/v1/staff/reply-templates"
REASONS = "/api/v1/staff/rejection-reasons"
BODY = "Phản ánh {ma_phan_anh} đã được {co_quan} tiếp nhận; hạn xử lý {han_xu_ly}."


def test_placeholders() -> None:
    assert check_body(BODY) == []
    for bad in ("Xin chào {ten}", "{0.__class__.__mro__}", "{ma_phan_anh!r}", "{}", "mở { đóng", "đóng }"):
        errors = check_body(bad)
        assert [e.field for e in errors] == ["body"], bad
    # One pass over known names: a value that looks like a placeholder is left as it is.
    assert (
        fill("{co_quan} / {ma_phan_anh}", {"co_quan": "{ma_phan_anh}", "ma_phan_anh": "X"})
        == "{ma_phan_anh} / X"
    )
    assert vietnamese_date(datetime(2026, 12, 11, 3, 0, tzinfo=UTC)) == "thứ Sáu, 11/12/2026"
    assert vietnamese_date(datetime(2026, 12, 12, 20, 0, tzinfo=UTC)) == "Chủ nhật, 13/12/2026"


async def test_who_manages_templates(client: httpx.AsyncClient, actors: Actors) -> None:
    manager = await actors.staff("agency_manager", AGENCY)
    other_manager = await actors.staff("agency_manager", OTHER)
    officer = await actors.staff("agency_officer", AGENCY)
    other_officer = await actors.staff("agency_officer", OTHER)
    coordinator = await actors.staff("coordinator")
    admin = await actors.staff("admin")
    resident = await actors.resident()
    own = {"agency": AGENCY, "category": "road_damage", "title": "Đã tiếp nhận", "body": BODY}
    shared = {"title": "Cảm ơn", "body": "Cảm ơn bạn đã gửi phản ánh {ma_phan_anh}."}

    created = await client.post(TEMPLATES, json=own, headers=manager)
    assert created.status_code == 201, created.text
    template_id = created.json()["id"]
    for who in (officer, other_manager, coordinator, resident):
        assert (await client.post(TEMPLATES, json=own, headers=who)).status_code == 403
    assert (await client.post(TEMPLATES, json=own)).status_code == 401
    assert (await client.post(TEMPLATES, json=shared, headers=manager)).status_code == 403
    assert (await client.post(TEMPLATES, json=shared, headers=admin)).status_code == 201
    refused = await client.post(TEMPLATES, json={**own, "body": "Chào {ten_nguoi_dan}"}, headers=manager)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body"
    assert "{ten_nguoi_dan}" in refused.json()["errors"][0]["message"]
    bad_ref = await client.post(TEMPLATES, json={**own, "category": "khong_co"}, headers=manager)
    assert bad_ref.status_code == 422

    def titles(r: httpx.Response) -> list[str]:
        assert r.status_code == 200, r.text
        return [t["title"] for t in r.json()["items"]]

    assert titles(await client.get(TEMPLATES, headers=officer)) == ["Đã tiếp nhận", "Cảm ơn"]
    assert titles(await client.get(TEMPLATES, headers=other_officer)) == ["Cảm ơn"]
    assert titles(await client.get(TEMPLATES, headers=coordinator)) == ["Đã tiếp nhận", "Cảm ơn"]
    assert titles(await client.get(f"{TEMPLATES}?category=garbage", headers=officer)) == ["Cảm ơn"]
    assert (await client.get(TEMPLATES, headers=resident)).status_code == 403

    url = f"{TEMPLATES}/{template_id}"
    assert (await client.patch(url, json={"title": "Khác"}, headers=other_manager)).status_code == 404
    assert (await client.patch(url, json={"title": "Khác"}, headers=officer)).status_code == 403
    assert (await client.patch(url, json={"body": "{han_xu_ly} {x}"}, headers=manager)).status_code == 422
    patched = await client.patch(url, json={"title": "Đã nhận", "is_active": False}, headers=manager)
    assert patched.status_code == 200 and patched.json()["title"] == "Đã nhận"
    assert titles(await client.get(TEMPLATES, headers=officer)) == ["Cảm ơn"]
    assert titles(await client.get(f"{TEMPLATES}?include_inactive=true", headers=officer)) == [
        "Đã nhận",
        "Cảm ơn",
    ]
    assert (await client.delete(url, headers=other_manager)).status_code == 404
    assert (await client.delete(url, headers=admin)).status_code == 204
    assert (await client.delete(url, headers=admin)).status_code == 404


async def test_reply_from_a_template(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    report = await make_report(
        maker, tracking_code="ABCDE-FGHJK", due_at=datetime(2026, 12, 11, 3, 0, tzinfo=UTC)
    )
    theirs = await make_report(maker, agency_code=OTHER)
    manager = await actors.staff("agency_manager", AGENCY)
    officer = await actors.staff("agency_officer", AGENCY)
    other_officer = await actors.staff("agency_officer", OTHER)
    resident = await actors.resident()
    own = await client.post(
        TEMPLATES, json={"agency": AGENCY, "title": "Đã tiếp nhận", "body": BODY}, headers=manager
    )
    template = {"template": own.json()["id"]}

    sent = await client.post(
        f"/api/v1/staff/reports/{report}/template-replies", json=template, headers=officer
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["note"] == (
        "Phản ánh ABCDE-FGHJK đã được Sở Xây dựng TP.HCM tiếp nhận; hạn xử lý thứ Sáu, 11/12/2026."
    )
    # Through the conversation service: a public reply the resident reads.
    history = (await client.get(f"/api/v1/reports/{report}/events")).json()["items"]
    assert [(e["type"], e["public"]) for e in history] == [("reply", True)]

    # Another agency's template, or another agency's report, is not for this officer.
    refused = await client.post(
        f"/api/v1/staff/reports/{theirs}/template-replies", json=template, headers=other_officer
    )
    assert refused.status_code == 422
    refused = await client.post(
        f"/api/v1/staff/reports/{report}/template-replies", json=template, headers=other_officer
    )
    assert refused.status_code == 403
    refused = await client.post(
        f"/api/v1/staff/reports/{report}/template-replies", json=template, headers=resident
    )
    assert refused.status_code == 403


async def test_rejection_needs_a_reason_from_the_list(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    coordinator = await actors.staff("coordinator")
    officer = await actors.staff("agency_officer", AGENCY)
    admin = await actors.staff("admin")
    manager = await actors.staff("agency_manager", AGENCY)
    resident = await actors.resident()

    listed = (await client.get(REASONS, headers=officer)).json()["items"]
    assert [r["code"] for r in listed][:2] == ["out_of_scope", "not_city_jurisdiction"] and len(listed) == 8
    assert listed[1]["text"] == "Vụ việc không thuộc thẩm quyền giải quyết của Thành phố"
    english = (await client.get(REASONS, headers={**officer, "Accept-Language": "en"})).json()["items"]
    assert english[1]["text"] == "The matter is not under the city's jurisdiction"
    assert (await client.get(REASONS, headers=resident)).status_code == 403

    async def reject(**body: object) -> httpx.Response:
        report = await make_report(maker)
        return await client.post(
            f"/api/v1/reports/{report}/transitions", json={"to": "rejected", **body}, headers=officer
        )

    for body, field in (
        ({"note": "Không thuộc thẩm quyền."}, "reason"),
        ({"reason": "khong_co"}, "reason"),
        ({"reason": "other"}, "note"),
    ):
        refused = await reject(**body)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, refused.text
    done = await reject(reason="insufficient_information")
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    events = (await client.get(f"/api/v1/reports/{done.json()['id']}/events")).json()["items"]
    assert events[-1]["reason"]["code"] == "insufficient_information" and events[-1]["note"] is None
    assert (await reject(reason="other", note="Đã có phản ánh khác của chính bạn.")).status_code == 200

    # The list is edited by administrators; a reason taken off it can no longer be chosen.
    new = {"code": "test_reason", "text_vi": "Lý do thử", "text_en": "A test reason", "sort_order": 99}
    for who in (manager, coordinator, officer):
        assert (await client.post(REASONS, json=new, headers=who)).status_code == 403
    assert (await client.post(REASONS, json=new, headers=admin)).status_code == 201
    assert (await client.post(REASONS, json=new, headers=admin)).status_code == 409
    assert (await reject(reason="test_reason")).status_code == 200
    assert (
        await client.patch(f"{REASONS}/test_reason", json={"is_active": False}, headers=manager)
    ).status_code == 403
    off = await client.patch(f"{REASONS}/test_reason", json={"is_active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (await reject(reason="test_reason")).status_code == 422
    assert "test_reason" not in [
        r["code"] for r in (await client.get(REASONS, headers=admin)).json()["items"]
    ]
    everything = await client.get(f"{REASONS}?include_inactive=true", headers=admin)
    assert "test_reason" in [r["code"] for r in everything.json()["items"]]
    assert (
        await client.patch(f"{REASONS}/khong_co", json={"is_active": False}, headers=admin)
    ).status_code == 404
