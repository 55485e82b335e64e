"""Electricity, public transport and telecom: each reaches its own agency, by the resident's choice,
by the classifier and through Open311; "other" is always sorted by a coordinator."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.models import Notification, Open311Submission, Report
from congdan.outbox.relay import Relay
from tests.conftest import Actors, submit
from tests.open311_support import BASE, create_request, new_api_key

Maker = async_sessionmaker[AsyncSession]

NEW = [
    ("electricity", "evnhcmc", "Trụ điện trước nhà nghiêng, dây điện võng sát mái tôn."),
    ("public_transport", "giao_thong_cong_cong", "Xe buýt tuyến 52 không dừng đón ở trạm Hàm Nghi."),
    ("telecom", "so_khoa_hoc_cong_nghe", "Bó cáp viễn thông rớt ngang hẻm 12."),
]


async def _account_id(client: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID((await client.get("/api/v1/me", headers=headers)).json()["id"])


@pytest.mark.parametrize(("category", "agency", "text"), NEW)
async def test_a_report_goes_to_the_default_agency_whose_officer_hears_of_it(
    client: httpx.AsyncClient,
    actors: Actors,
    maker: Maker,
    relay: Relay,
    category: str,
    agency: str,
    text: str,
) -> None:
    officer = await actors.staff("agency_officer", agency)
    created = await submit(client, category=category, description=text)
    assert created["status"] == "assigned"
    assert created["category"]["code"] == category
    assert created["agency"]["code"] == agency
    assert created["due_at"] is not None
    await relay.drain()
    officer_id = await _account_id(client, officer)
    async with maker() as s:
        titles = (
            await s.scalars(select(Notification.title).where(Notification.account_id == officer_id))
        ).all()
    assert titles == [f"Phản ánh mới {created['tracking_code']} giao cho đơn vị"]


@pytest.mark.parametrize(
    ("text", "category", "agency"),
    [
        ("nhà tôi mất điện từ trưa tới giờ vẫn chưa có lại", "electricity", "evnhcmc"),
        ("tai xe xe buyt tuyen 52 chay au, vuot den do", "public_transport", "giao_thong_cong_cong"),
        ("cáp internet rớt xuống giữa hẻm, xe máy bị vướng", "telecom", "so_khoa_hoc_cong_nghe"),
        # The addressee a resident writes to does not decide what the report is about.
        (
            "Kính gửi Tổng công ty Điện lực, dây cáp mạng của các nhà mạng treo chằng chịt trước nhà tôi",
            "telecom",
            "so_khoa_hoc_cong_nghe",
        ),
        (
            "Kính gửi Sở Xây dựng, khu phố tôi bị cúp điện cả ngày không có thông báo",
            "electricity",
            "evnhcmc",
        ),
    ],
)
async def test_the_classifier_sends_unlabelled_reports_to_the_right_agency(
    client: httpx.AsyncClient, text: str, category: str, agency: str
) -> None:
    created = await submit(client, category=None, description=text)
    assert created["category"]["code"] == category
    assert created["status"] == "assigned" and created["agency"]["code"] == agency


async def test_an_area_rule_sends_power_cuts_to_the_ward(client: httpx.AsyncClient, actors: Actors) -> None:
    admin = await actors.staff("admin")
    rules = (await client.get("/api/v1/routing/rules?category=electricity", headers=admin)).json()
    assert [(r["agency"], r["to_unit_committee"]) for r in rules] == [("evnhcmc", False)]
    r = await client.post(
        "/api/v1/routing/rules",
        json={"category": "electricity", "area": "26743", "to_unit_committee": True},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert (await submit(client, category="electricity"))["agency"]["code"] == "ubnd_26743"
    elsewhere = await submit(client, category="electricity", location={"lat": 10.8500, "long": 106.7700})
    assert elsewhere["agency"]["code"] == "evnhcmc"


async def test_other_always_goes_to_triage(client: httpx.AsyncClient, actors: Actors) -> None:
    admin = await actors.staff("admin")
    assert (await client.get("/api/v1/routing/rules?category=other", headers=admin)).json() == []
    # A rule for any category, above every other, still does not claim "other".
    r = await client.post(
        "/api/v1/routing/rules", json={"agency": "so_xay_dung", "priority": 100}, headers=admin
    )
    assert r.status_code == 201, r.text
    chosen = await submit(client, category="other", description="Xin hỏi giờ mở cửa thư viện thành phố")
    assert chosen["status"] == "triage" and chosen["agency"] is None
    guessed = await submit(
        client, category=None, description="chó thả rông trong hẻm 14, sáng nay cắn một em học sinh"
    )
    assert guessed["category"]["code"] == "other"
    assert guessed["status"] == "triage" and guessed["agency"] is None
    # The catch-all rule does reach the other categories.
    assert (await submit(client, category="road_damage"))["agency"]["code"] == "so_xay_dung"


async def test_no_rule_may_name_other(client: httpx.AsyncClient, actors: Actors) -> None:
    admin = await actors.staff("admin")
    r = await client.post(
        "/api/v1/routing/rules", json={"category": "other", "agency": "so_xay_dung"}, headers=admin
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["category"]
    rule = (await client.get("/api/v1/routing/rules?category=telecom", headers=admin)).json()[0]
    moved = await client.patch(
        f"/api/v1/routing/rules/{rule['id']}", json={"category": "other"}, headers=admin
    )
    assert moved.status_code == 422
    assert (await client.get("/api/v1/routing/rules?category=other", headers=admin)).json() == []


async def test_open311_lists_and_defines_the_new_services(client: httpx.AsyncClient) -> None:
    services = {s["service_code"]: s for s in (await client.get(f"{BASE}/services.json")).json()}
    assert services["electricity"]["service_name"] == "Điện: mất điện, dây điện, trụ điện"
    assert services["electricity"]["group"] == "Hạ tầng đô thị"
    assert services["public_transport"]["group"] == "Giao thông"
    assert services["public_transport"]["metadata"] is True
    assert services["telecom"]["metadata"] is False
    assert "cáp quang" in services["telecom"]["keywords"]
    english = (await client.get(f"{BASE}/services.json", params={"locale": "en"})).json()
    assert {s["service_code"]: s["service_name"] for s in english}["telecom"] == "Telecom cables and poles"
    definition = (await client.get(f"{BASE}/services/public_transport.json")).json()
    assert [(a["code"], a["datatype"], a["required"]) for a in definition["attributes"]] == [
        ("route", "string", False)
    ]


async def test_open311_requests_reach_the_new_agencies(client: httpx.AsyncClient, maker: Maker) -> None:
    api_key = await new_api_key(maker)
    bus = await create_request(
        client,
        api_key,
        service_code="public_transport",
        description="Tài xế xe buýt nói chuyện điện thoại khi lái.",
        **{"attribute[damage_type]": None, "attribute[pothole_size_cm]": None, "attribute[route]": "19"},
    )
    cable = await create_request(
        client,
        api_key,
        service_code="telecom",
        description="Cáp viễn thông võng thấp trước chợ.",
        **{"attribute[damage_type]": None, "attribute[pothole_size_cm]": None},
    )
    async with maker() as s:
        bus_report = await s.get(Report, uuid.UUID(bus))
        cable_report = await s.get(Report, uuid.UUID(cable))
        assert bus_report is not None and cable_report is not None
        assert (bus_report.category_code, bus_report.agency_code) == (
            "public_transport",
            "giao_thong_cong_cong",
        )
        assert (cable_report.category_code, cable_report.agency_code) == ("telecom", "so_khoa_hoc_cong_nghe")
        extra = await s.get(Open311Submission, bus_report.id)
        assert extra is not None and extra.attributes == {"route": "19"}
