"""Whether it was already reported: suggestions while typing, candidates for staff, following."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import utcnow
from congdan.kit.geo import metres_to_degrees
from congdan.models import Notification, Report, ReportFollower
from congdan.outbox.relay import Relay
from congdan.routing.duplicates import score, similarity
from tests.conftest import BEN_THANH, Actors, submit

POTHOLE = "Ổ gà rất sâu trước số 40 Lê Lợi, xe máy sụp bánh"


def _near(metres_north: float) -> dict[str, float]:
    dlat, _ = metres_to_degrees(metres_north, BEN_THANH["lat"])
    return {"lat": BEN_THANH["lat"] + dlat, "long": BEN_THANH["long"]}


def test_similarity_ignores_diacritics_and_ranks_wording() -> None:
    same = similarity(POTHOLE, "o ga rat sau truoc so 40 le loi, xe may sup banh")
    close = similarity(POTHOLE, "Có ổ gà lớn ở đường Lê Lợi")
    other = similarity(POTHOLE, "Karaoke hát khuya quá")
    assert same > 0.95
    assert same > close > other


def test_score_blends_distance_and_wording() -> None:
    assert score(0, 50, 1.0, True) == 1.0
    assert score(50, 50, 0.0, True) == 0.0
    assert score(10, 50, 0.2, True) < score(10, 50, 0.8, True)
    assert score(40, 50, 0.9, True) > score(40, 50, 0.1, True)
    assert score(10, 50, 0.0, False) == 0.8


async def test_suggest_gives_categories_unit_agency_and_duplicates(client: httpx.AsyncClient) -> None:
    original = await submit(client, category="road_damage", description=POTHOLE, location=_near(10))
    r = await client.post(
        "/api/v1/reports/suggest",
        json={"description": "o ga sau truoc so 40 le loi, xe may sup banh", **BEN_THANH},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["categories"][0]["code"] == "road_damage"
    assert body["categories"][0]["name"] == "Hư hỏng mặt đường, ổ gà, sụp lún"
    confidences = [c["confidence"] for c in body["categories"]]
    assert confidences == sorted(confidences, reverse=True) and len(confidences) == 5
    assert body["area"] == {"code": "26743", "name": "Phường Bến Thành", "approximate": True}
    assert body["agency"]["code"] == "so_xay_dung" and body["triage"] is False
    assert body["classifier_version"] >= 1
    [dup] = body["duplicates"]
    assert dup["id"] == original["id"] and dup["tracking_code"] == original["tracking_code"]
    assert 5 < dup["distance_m"] < 15 and dup["similarity"] > 0.7
    # Public fields only.
    assert set(dup) == {
        "id",
        "tracking_code",
        "category",
        "status",
        "description",
        "created_at",
        "distance_m",
        "similarity",
        "score",
    }


async def test_suggest_in_english(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/reports/suggest",
        json={"description": "karaoke hat to qua 12h dem van chua tat"},
        headers={"Accept-Language": "en"},
    )
    body = r.json()
    assert body["categories"][0] == {**body["categories"][0], "code": "noise", "name": "Noise"}
    # No point: no unit, so a ward-level category cannot name its committee yet.
    assert body["area"] is None and body["agency"] is None and body["duplicates"] == []


async def test_suggest_with_either_part_missing(client: httpx.AsyncClient) -> None:
    await submit(client, category="garbage", description="Rác chất đống đầu hẻm", location=_near(20))
    r = await client.post("/api/v1/reports/suggest", json=dict(BEN_THANH))
    assert r.status_code == 200
    body = r.json()
    assert body["categories"] == [] and body["classifier_version"] is None
    assert body["area"]["code"] == "26743" and body["triage"] is True
    # Without words, only closeness counts: the garbage report 20 m away is offered.
    assert [d["category"]["code"] for d in body["duplicates"]] == ["garbage"]
    r = await client.post("/api/v1/reports/suggest", json={})
    assert r.status_code == 200 and r.json()["categories"] == []
    r = await client.post("/api/v1/reports/suggest", json={"lat": 10.77})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post("/api/v1/reports/suggest", json={"description": "x", "extra": 1})
    assert r.status_code == 422


async def test_what_is_not_a_duplicate(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    far = await submit(client, category="road_damage", description=POTHOLE, location=_near(80))
    other_kind = await submit(client, category="garbage", description=POTHOLE, location=_near(5))
    private = await submit(
        client, category="road_damage", description=POTHOLE, location=_near(5), visibility="private"
    )
    old = await submit(client, category="road_damage", description=POTHOLE, location=_near(5))
    closed = await submit(client, category="road_damage", description=POTHOLE, location=_near(5))
    async with maker() as s, s.begin():
        await s.execute(
            update(Report)
            .where(Report.id == uuid.UUID(old["id"]))
            .values(created_at=utcnow() - timedelta(days=45))
        )
        await s.execute(update(Report).where(Report.id == uuid.UUID(closed["id"])).values(status="closed"))
    r = await client.post("/api/v1/reports/suggest", json={"description": POTHOLE, **BEN_THANH})
    ids = {d["id"] for d in r.json()["duplicates"]}
    # 80 m is beyond the pothole radius (50 m), garbage is another category, the private one is not
    # shown to the public, the old one is outside the 30-day window and the closed one is done.
    assert ids.isdisjoint({far["id"], other_kind["id"], private["id"], old["id"], closed["id"]})
    # Staff looking at a new report see the private one as a candidate too.
    new = await submit(client, category="road_damage", description=POTHOLE, location=_near(0))
    coordinator = await actors.staff("coordinator")
    r = await client.get(f"/api/v1/reports/{new['id']}/duplicate-candidates", headers=coordinator)
    assert r.status_code == 200
    assert [d["id"] for d in r.json()["items"]] == [private["id"]]
    resident = await actors.resident()
    assert (
        await client.get(f"/api/v1/reports/{new['id']}/duplicate-candidates", headers=resident)
    ).status_code == 403


async def test_candidates_are_ranked_by_closeness_and_wording(client: httpx.AsyncClient) -> None:
    worded = await submit(client, category="road_damage", description=POTHOLE, location=_near(30))
    # Close enough to be a candidate on closeness alone, though worded differently.
    nearer_unlike = await submit(
        client, category="road_damage", description="Mặt đường bong tróc nhiều chỗ", location=_near(10)
    )
    # Nearer than the worded one too, but neither close enough nor alike enough to be a candidate.
    unlike = await submit(
        client, category="road_damage", description="Mặt đường bong tróc nhiều chỗ", location=_near(25)
    )
    r = await client.post("/api/v1/reports/suggest", json={"description": POTHOLE, **BEN_THANH})
    found = r.json()["duplicates"]
    assert [d["id"] for d in found] == [worded["id"], nearer_unlike["id"]]
    assert found[0]["score"] > found[1]["score"]
    assert unlike["id"] not in {d["id"] for d in found}


async def test_duplicate_reporter_follows_the_original(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession], relay: Relay
) -> None:
    first_resident = await actors.resident()
    second_resident = await actors.resident()
    original = await submit(client, first_resident, category="road_damage", description=POTHOLE)
    dup = await submit(
        client, second_resident, category="road_damage", description=POTHOLE, location=_near(5)
    )
    anonymous = await submit(
        client,
        category="road_damage",
        description=POTHOLE,
        contact={"phone": "0909123456"},
        location=_near(8),
    )
    coordinator = await actors.staff("coordinator")
    for rid in (dup["id"], anonymous["id"]):
        r = await client.post(
            f"/api/v1/reports/{rid}/transitions",
            json={"to": "duplicate", "duplicate_of": original["id"]},
            headers=coordinator,
        )
        assert r.status_code == 200, r.text
    async with maker() as s:
        followers = (
            await s.scalars(
                select(ReportFollower).where(ReportFollower.report_id == uuid.UUID(original["id"]))
            )
        ).all()
    assert {
        (str(f.account_id) if f.account_id else None, str(f.via_report_id) if f.via_report_id else None)
        for f in followers
    } == {
        (None, anonymous["id"]),
        (str((await client.get("/api/v1/me", headers=second_resident)).json()["id"]), None),
    }
    await relay.drain()
    officer = await actors.staff("agency_officer", agency="so_xay_dung")
    r = await client.post(
        f"/api/v1/reports/{original['id']}/transitions", json={"to": "in_progress"}, headers=officer
    )
    assert r.status_code == 200, r.text
    await relay.drain()
    me = (await client.get("/api/v1/me", headers=second_resident)).json()
    async with maker() as s:
        notes = (
            await s.scalars(select(Notification).where(Notification.account_id == uuid.UUID(me["id"])))
        ).all()
    following = [n for n in notes if n.report_id == uuid.UUID(original["id"])]
    assert len(following) == 1
    assert original["tracking_code"] in following[0].title + following[0].body
