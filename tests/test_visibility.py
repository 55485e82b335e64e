"""Who sees what: the public never sees a reporter's identity or private reports."""

from __future__ import annotations

import itertools
import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.models import Account, Report
from congdan.reports.states import Status
from tests.conftest import Actors
from tests.conftest import submit as _submit

CONTACT = {"name": "Trần Thị Bình", "phone": "0912345678", "email": "binh@example.vn"}


async def test_public_never_sees_contact(client: httpx.AsyncClient) -> None:
    report = await _submit(client, contact=CONTACT)
    assert report["contact"] is None  # an anonymous submitter has no account to prove it is theirs
    for url in (f"/api/v1/reports/{report['id']}", f"/api/v1/reports/by-code/{report['tracking_code']}"):
        text = (await client.get(url)).text
        assert "Bình" not in text and "0912345678" not in text and "+84912345678" not in text
        assert "binh@example.vn" not in text
    listing = (await client.get("/api/v1/reports")).text
    assert "binh@example.vn" not in listing and "+84912345678" not in listing
    home = (await client.get("/")).text
    assert "binh@example.vn" not in home


async def test_staff_see_contact_unless_identity_hidden(client: httpx.AsyncClient, actors: Actors) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    coordinator = await actors.staff("coordinator")
    open_report = await _submit(client, contact=CONTACT)
    hidden = await _submit(client, contact=CONTACT, hide_identity=True)
    seen = (await client.get(f"/api/v1/reports/{open_report['id']}", headers=officer)).json()
    assert seen["contact"] == {"name": "Trần Thị Bình", "phone": "+84912345678", "email": "binh@example.vn"}
    assert (await client.get(f"/api/v1/reports/{hidden['id']}", headers=officer)).json()["contact"] is None
    assert (await client.get(f"/api/v1/reports/{hidden['id']}", headers=coordinator)).json()[
        "contact"
    ] is not None


async def test_private_reports(client: httpx.AsyncClient, actors: Actors) -> None:
    owner = await actors.resident()
    stranger = await actors.resident()
    officer = await actors.staff("agency_officer", "so_xay_dung")
    other_officer = await actors.staff("agency_officer", "sawaco")
    coordinator = await actors.staff("coordinator")
    report = await _submit(client, owner, visibility="private")
    url = f"/api/v1/reports/{report['id']}"
    assert (await client.get(url)).status_code == 404
    assert (await client.get(url, headers=stranger)).status_code == 404
    assert (await client.get(url, headers=other_officer)).status_code == 404
    for who in (owner, officer, coordinator):
        assert (await client.get(url, headers=who)).status_code == 200
    assert (await client.get(f"{url}/events")).status_code == 404

    def ids(resp: httpx.Response) -> list[str]:
        return [i["id"] for i in resp.json()["items"]]

    assert report["id"] not in ids(await client.get("/api/v1/reports"))
    assert report["id"] not in ids(await client.get("/api/v1/reports", headers=stranger))
    assert report["id"] not in ids(await client.get("/api/v1/reports", headers=other_officer))
    for who in (owner, officer, coordinator):
        assert report["id"] in ids(await client.get("/api/v1/reports", headers=who))
    # The tracking code is the anonymous reporter's way in, private or not.
    assert (await client.get(f"/api/v1/reports/by-code/{report['tracking_code']}")).status_code == 200


async def test_list_filters_and_pagination(client: httpx.AsyncClient) -> None:
    made = [
        await _submit(client, description="Ổ gà đường Lê Lợi"),
        await _submit(client, category="garbage", description="Rác ở đường Đồng Khởi"),
        await _submit(
            client,
            category="noise",
            description="Karaoke ồn ào tới khuya",
            location={"lat": 10.8013, "long": 106.7143},
        ),
        await _submit(client, category=None, description="Góp ý chung"),
    ]

    async def ids(query: str) -> list[str]:
        r = await client.get(f"/api/v1/reports?{query}")
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await ids("status=triage") == [made[3]["id"]]
    assert set(await ids("status=triage&status=assigned")) == {m["id"] for m in made}
    assert await ids("category=garbage") == [made[1]["id"]]
    assert await ids("agency=so_xay_dung") == [made[0]["id"]]
    assert set(await ids("area=26743")) == {made[0]["id"], made[1]["id"], made[3]["id"]}
    assert await ids("bbox=106.70,10.79,106.72,10.81") == [made[2]["id"]]
    # Diacritics and đ/Đ are ignored both ways.
    assert await ids("q=o%20ga") == [made[0]["id"]]
    assert set(await ids("q=duong")) == {made[0]["id"], made[1]["id"]}
    assert await ids("q=%C4%90%E1%BB%93ng%20kh%E1%BB%9Fi") == [made[1]["id"]]
    assert await ids("q=karaoke%20khuya") == [made[2]["id"]]
    assert await ids("q=100%25") == []
    created = made[0]["created_at"].replace("+", "%2B")
    assert set(await ids(f"from={created}")) == {m["id"] for m in made}
    assert await ids(f"to={created}") == []

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(f"/api/v1/reports?{query}")).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [m["id"] for m in reversed(made)]


async def test_bad_list_parameters_are_4xx(client: httpx.AsyncClient) -> None:
    for query in (
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=106.8,10.7,106.7,10.8",
        "cursor=%%%",
        "limit=0",
        "limit=1000",
        "status=lost",
        "from=yesterday",
        "from=2026-01-01T00:00:00",
    ):
        r = await client.get(f"/api/v1/reports?{query}")
        assert r.status_code in (400, 422), query
        assert r.headers["content-type"] == "application/problem+json"


async def test_reference_lists(client: httpx.AsyncClient) -> None:
    areas = (await client.get("/api/v1/areas")).json()
    assert len(areas) == 168
    kinds = {a["unit_type"] for a in areas}
    assert kinds == {"phuong", "xa", "dac_khu"}
    assert sum(a["unit_type"] == "phuong" for a in areas) == 113
    assert sum(a["unit_type"] == "xa" for a in areas) == 54
    assert [a["name"] for a in (await client.get("/api/v1/areas?q=ben%20thanh")).json()] == [
        "Phường Bến Thành"
    ]
    assert (await client.get("/api/v1/areas/26743")).json()["name"] == "Phường Bến Thành"
    assert (await client.get("/api/v1/areas/00000")).status_code == 404
    agencies = (await client.get("/api/v1/agencies")).json()
    assert sum(a["kind"] == "committee" for a in agencies) == 168
    assert {
        "so_xay_dung",
        "so_nong_nghiep_moi_truong",
        "so_y_te",
        "cong_an_tphcm",
        "sawaco",
        "evnhcmc",
        "cong_vien_cay_xanh",
        "giao_thong_cong_cong",
        "so_khoa_hoc_cong_nghe",
    } <= {a["code"] for a in agencies}
    committee = (await client.get("/api/v1/agencies/ubnd_26743")).json()
    assert committee["name"] == "Ủy ban nhân dân Phường Bến Thành" and committee["area_code"] == "26743"
    cats = (await client.get("/api/v1/categories")).json()
    assert [c["code"] for c in cats] == [
        "road_damage",
        "traffic_signal",
        "traffic_congestion",
        "street_lighting",
        "flooding_drainage",
        "water_supply",
        "garbage",
        "pollution",
        "noise",
        "sidewalk_encroachment",
        "illegal_construction",
        "trees",
        "public_order",
        "food_safety_health",
        "administrative_services",
        "electricity",
        "public_transport",
        "telecom",
        "other",
    ]
    assert cats[0]["name"] == "Hư hỏng mặt đường, ổ gà, sụp lún"
    en = (await client.get("/api/v1/categories", headers={"Accept-Language": "en"})).json()
    assert en[0]["name"] == "Road damage, potholes"
    assert all(c["deadline_days"] >= 1 and c["level"] in ("ward", "city") for c in cats)


async def test_list_filter_selects_exactly_what_the_report_check_allows(
    maker: async_sessionmaker[AsyncSession],
) -> None:
    """authz's SQL filter and its per-report check are one rule, for every kind of caller."""
    async with maker() as session, session.begin():
        owner = Account(role="resident", phone="+84900000001")
        other = Account(role="resident", phone="+84900000002")
        session.add_all([owner, other])
        await session.flush()
        reports = [
            Report(
                tracking_code=f"V{i:04d}-MATRX",
                kind="report",
                description="x",
                search_text="x",
                status=status.value,
                is_public=public,
                agency_code=agency,
                reporter_id=reporter,
            )
            for i, (status, public, agency, reporter) in enumerate(
                itertools.product(Status, (True, False), (None, "so_xay_dung", "sawaco"), (owner.id, None))
            )
        ]
        session.add_all(reports)
        await session.flush()
        anonymous_private = next(r for r in reports if r.reporter_id is None and not r.is_public)
        principals = {
            "public": policy.PUBLIC,
            "owner": Principal(owner.id, policy.RESIDENT),
            "other resident": Principal(other.id, policy.RESIDENT),
            "proven reporter": policy.proven_reporter(anonymous_private.id),
            **{
                f"{role} of {agency}": Principal(uuid.uuid4(), role, agency)
                for role in (policy.AGENCY_OFFICER, policy.AGENCY_MANAGER)
                for agency in ("so_xay_dung", "sawaco")
            },
            "coordinator": Principal(uuid.uuid4(), policy.COORDINATOR),
            "admin": Principal(uuid.uuid4(), policy.ADMIN),
        }
        everything = {r.id for r in reports}
        for name, principal in principals.items():
            allowed = {r.id for r in reports if policy.can_view_report(principal, r)}
            selected = set(
                (await session.scalars(select(Report.id).where(policy.visible_to(principal)))).all()
            )
            assert selected == allowed, name
        # The rule sees differences, so the comparison above is not between two empty sets.
        assert {r.id for r in reports if policy.can_view_report(policy.PUBLIC, r)} == {
            r.id for r in reports if r.is_public
        }
        assert anonymous_private.id not in {
            r.id for r in reports if policy.can_view_report(principals["owner"], r)
        }
        assert {r.id for r in reports if policy.can_view_report(principals["coordinator"], r)} == everything
