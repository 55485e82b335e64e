"""An agency's officer asks for duplicate candidates of their own report and is shown another
agency's private report nearby (its description, tracking code and distance)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.kit.geo import metres_to_degrees
from congdan.models import Report
from tests.conftest import BEN_THANH, Actors, submit

POTHOLE = "Ổ gà rất sâu trước số 40 Lê Lợi, xe máy sụp bánh"
SECRET = "Ổ gà rất sâu trước nhà tôi số 40 Lê Lợi, con tôi té xe"


def _near(metres_north: float) -> dict[str, float]:
    dlat, _ = metres_to_degrees(metres_north, BEN_THANH["lat"])
    return {"lat": BEN_THANH["lat"] + dlat, "long": BEN_THANH["long"]}


async def test_candidates_hold_only_reports_the_caller_may_see(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    mine = await submit(client, category="road_damage", description=POTHOLE, location=_near(0))
    agency = mine["agency"]["code"]
    other_agency = "so_y_te" if agency != "so_y_te" else "so_xay_dung"
    theirs = await submit(
        client, category="road_damage", description=SECRET, location=_near(5), visibility="private"
    )
    own_private = await submit(
        client, category="road_damage", description=POTHOLE, location=_near(8), visibility="private"
    )
    async with maker() as s, s.begin():
        await s.execute(
            update(Report).where(Report.id == uuid.UUID(theirs["id"])).values(agency_code=other_agency)
        )
        await s.execute(
            update(Report).where(Report.id == uuid.UUID(own_private["id"])).values(agency_code=agency)
        )

    officer = await actors.staff("agency_officer", agency)
    r = await client.get(f"/api/v1/reports/{mine['id']}/duplicate-candidates", headers=officer)
    assert r.status_code == 200, r.text
    assert [c["id"] for c in r.json()["items"]] == [own_private["id"]]
    assert theirs["tracking_code"] not in r.text and "con tôi té xe" not in r.text

    # City-wide staff may see every private report, so they get both.
    coordinator = await actors.staff("coordinator")
    r = await client.get(f"/api/v1/reports/{mine['id']}/duplicate-candidates", headers=coordinator)
    assert {c["id"] for c in r.json()["items"]} == {theirs["id"], own_private["id"]}

    # While typing a new report, nobody is shown a private one, staff included.
    for who in ({}, officer):
        r = await client.post(
            "/api/v1/reports/suggest", json={"description": POTHOLE, **BEN_THANH}, headers=who
        )
        assert r.status_code == 200, r.text
        ids = {d["id"] for d in r.json()["duplicates"]}
        assert mine["id"] in ids and ids.isdisjoint({theirs["id"], own_private["id"]})
