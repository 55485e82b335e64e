"""The coordinators' triage queue, routing from it, and the city-wide deadline board."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import utcnow
from congdan.workbench.service import end_of_local_day
from tests.conftest import Actors, submit
from tests.workbench_support import AGENCY, OTHER, account_id, get_report, ids, make_report

TRIAGE = "/api/v1/staff/triage"


async def test_triage_shows_the_classifiers_guesses_and_the_estimated_unit(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    text = "Góp ý chung về khu phố"
    waiting = await submit(client, category=None, description=text)
    assert waiting["status"] == "triage"
    handed_back = await make_report(maker, status="transferred", lat=None, lon=None, area_code=None)
    placed = await make_report(maker)
    coordinator = await actors.staff("coordinator")

    page = await client.get(TRIAGE, headers=coordinator)
    assert ids(page) == [waiting["id"], str(handed_back)]  # oldest first; placed reports are not here
    assert str(placed) not in ids(page)
    first, second = page.json()["items"]
    assert 1 <= len(first["guesses"]) <= 3
    assert [g["confidence"] for g in first["guesses"]] == sorted(
        (g["confidence"] for g in first["guesses"]), reverse=True
    )
    # The same three the resident's form was offered while typing.
    suggested = (await client.post("/api/v1/reports/suggest", json={"description": text})).json()
    assert first["guesses"] == suggested["categories"][:3]
    assert first["area"]["code"] == "26743" and first["area"]["approximate"] is True
    assert second["area"] is None and second["agency"]["code"] == AGENCY

    english = await client.get(TRIAGE, headers={**coordinator, "Accept-Language": "en"})
    english_suggested = await client.post(
        "/api/v1/reports/suggest", json={"description": text}, headers={"Accept-Language": "en"}
    )
    assert english.json()["items"][0]["guesses"] == english_suggested.json()["categories"][:3]

    one = await client.get(f"{TRIAGE}?limit=1", headers=coordinator)
    nxt = one.json()["next_cursor"]
    assert ids(one) == [waiting["id"]]
    assert ids(await client.get(f"{TRIAGE}?limit=1&cursor={nxt}", headers=coordinator)) == [str(handed_back)]


async def test_routing_from_triage(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    coordinator = await actors.staff("coordinator")
    # "Other" always waits for a coordinator, whatever the classifier thinks of the words.
    by_category = await submit(client, category="other", description="Có chuyện cần báo")
    to_agency = await submit(client, category="other", description="Có chuyện khác cần báo")
    assert by_category["status"] == to_agency["status"] == "triage"

    # The right category: taught to the classifier, and the routing rules give the agency.
    r = await client.post(
        f"{TRIAGE}/{by_category['id']}/route", json={"category": "water_supply"}, headers=coordinator
    )
    assert r.status_code == 200, r.text
    routed = await get_report(maker, by_category["id"])
    assert (routed.status, routed.agency_code, routed.category_code) == ("assigned", "sawaco", "water_supply")

    # An agency named outright, any agency; and later a reassignment to another one.
    r = await client.post(f"{TRIAGE}/{to_agency['id']}/route", json={"agency": AGENCY}, headers=coordinator)
    assert r.status_code == 200 and r.json()["status"] == "assigned"
    officer = await actors.staff("agency_officer", AGENCY)
    officer_id = await account_id(client, officer)
    assign = {"officer": str(officer_id), "report_ids": [to_agency["id"]]}
    assert (await client.post("/api/v1/staff/queue/assign", json=assign, headers=officer)).status_code == 200
    r = await client.post(f"{TRIAGE}/{to_agency['id']}/route", json={"agency": OTHER}, headers=coordinator)
    assert r.status_code == 200, r.text
    moved = await get_report(maker, to_agency["id"])
    assert (moved.agency_code, moved.assignee_id) == (OTHER, None)  # the old agency's officer let go
    assert to_agency["id"] not in ids(await client.get("/api/v1/staff/queue", headers=officer))

    nothing = await client.post(f"{TRIAGE}/{to_agency['id']}/route", json={}, headers=coordinator)
    assert nothing.status_code == 422
    unknown = await client.post(
        f"{TRIAGE}/{to_agency['id']}/route", json={"agency": "khong_co"}, headers=coordinator
    )
    assert unknown.status_code == 422


async def test_triage_and_board_are_for_citywide_staff(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    report = await make_report(maker, status="triage", agency_code=None)
    route = {"agency": AGENCY}
    for role, agency in (("agency_officer", AGENCY), ("agency_manager", AGENCY), ("agency_officer", OTHER)):
        staff = await actors.staff(role, agency)
        assert (await client.get(TRIAGE, headers=staff)).status_code == 403
        assert (await client.get("/api/v1/staff/deadlines", headers=staff)).status_code == 403
        assert (await client.post(f"{TRIAGE}/{report}/route", json=route, headers=staff)).status_code == 403
    resident = await actors.resident()
    assert (await client.get(TRIAGE, headers=resident)).status_code == 403
    assert (await client.get("/api/v1/staff/deadlines", headers=resident)).status_code == 403
    assert (await client.post(f"{TRIAGE}/{report}/route", json=route, headers=resident)).status_code == 403
    assert (await client.get(TRIAGE)).status_code == 401
    for role in ("coordinator", "admin"):
        staff = await actors.staff(role)
        assert ids(await client.get(TRIAGE, headers=staff)) == [str(report)]
        assert (await client.get("/api/v1/staff/deadlines", headers=staff)).status_code == 200
    assert (await get_report(maker, report)).status == "triage"


async def test_deadline_board_worst_first(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    now = utcnow()
    later_today = now + (end_of_local_day(now) - now) / 2
    for _ in range(2):
        await make_report(maker, due_at=now - timedelta(days=1))
    await make_report(maker, due_at=later_today)
    await make_report(maker, due_at=now + timedelta(days=3))
    await make_report(maker, status="closed", due_at=now - timedelta(days=3))
    await make_report(maker, agency_code=OTHER, due_at=now - timedelta(hours=1))
    await make_report(maker, agency_code=OTHER, status="in_progress", due_at=later_today)
    await make_report(maker, agency_code=OTHER, status="in_progress", due_at=later_today)
    await make_report(maker, agency_code="so_y_te", due_at=now + timedelta(days=1, hours=1))

    coordinator = await actors.staff("coordinator")
    board = (await client.get("/api/v1/staff/deadlines", headers=coordinator)).json()["items"]
    assert [(row["agency"]["code"], row["overdue"], row["due_today"]) for row in board] == [
        (AGENCY, 2, 1),
        (OTHER, 1, 2),
    ]
    assert board[0]["agency"]["name"] == "Sở Xây dựng TP.HCM"
