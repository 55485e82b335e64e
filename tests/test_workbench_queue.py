"""The agency's queue: what each caller sees, its filters, counts, order and pages; bulk actions."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import utcnow
from tests.conftest import Actors
from tests.workbench_support import AGENCY, OTHER, account_id, get_report, ids, make_report

QUEUE = "/api/v1/staff/queue"


async def _agency_reports(maker: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    now = utcnow()
    made = {
        "overdue": await make_report(maker, due_at=now - timedelta(days=2)),
        "soon": await make_report(maker, status="in_progress", due_at=now + timedelta(hours=5)),
        "private": await make_report(maker, is_public=False, due_at=now + timedelta(days=2)),
        "garbage": await make_report(maker, category_code="garbage", due_at=now + timedelta(days=3)),
        "reopened": await make_report(
            maker, reopened_at=now - timedelta(days=1), due_at=now + timedelta(days=4)
        ),
        "no_due": await make_report(maker, due_at=None),
        "closed": await make_report(maker, status="closed", due_at=now - timedelta(days=5)),
        "other_agency": await make_report(maker, agency_code=OTHER, due_at=now - timedelta(days=1)),
    }
    return {k: str(v) for k, v in made.items()}


async def test_queue_order_filters_and_counts(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    r = await _agency_reports(maker)
    officer = await actors.staff("agency_officer", AGENCY)
    page = await client.get(QUEUE, headers=officer)
    # Due date first, missing due dates last; closed reports and other agencies' are not there.
    assert ids(page) == [r[k] for k in ("overdue", "soon", "private", "garbage", "reopened", "no_due")]
    items = {i["id"]: i for i in page.json()["items"]}
    assert items[r["overdue"]]["overdue"] is True and items[r["soon"]]["overdue"] is False
    assert items[r["reopened"]]["reopened"] is True
    assert page.json()["counts"] == {
        "total": 6,
        # The open statuses: a closed report is counted only when a closed status is chosen.
        "by_status": {"assigned": 5, "in_progress": 1},
        "overdue": 1,
        "due_soon": 1,
        "reopened": 1,
    }

    async def query(q: str) -> httpx.Response:
        return await client.get(f"{QUEUE}?{q}", headers=officer)

    overdue = await query("due=overdue")
    assert ids(overdue) == [r["overdue"]]
    # Each facet is counted with the other filters only, so it says what choosing it would give.
    assert overdue.json()["counts"] == {
        "total": 1,
        "by_status": {"assigned": 1},  # a closed report is never overdue
        "overdue": 1,
        "due_soon": 1,
        "reopened": 0,
    }
    assert ids(await query("due=soon")) == [r["soon"]]
    assert ids(await query("reopened=true")) == [r["reopened"]]
    closed = await query("status=closed")
    assert ids(closed) == [r["closed"]]
    assert closed.json()["counts"] == {
        "total": 1,
        "by_status": {"assigned": 5, "in_progress": 1, "closed": 1},
        "overdue": 0,
        "due_soon": 0,
        "reopened": 0,
    }
    assert ids(await query("status=in_progress&status=closed")) == [r["closed"], r["soon"]]
    assert ids(await query("category=garbage")) == [r["garbage"]]
    assert ids(await query("area=00000")) == []
    with_counts = await query("category=garbage&reopened=true")
    assert ids(with_counts) == [] and with_counts.json()["counts"]["reopened"] == 0

    # Pages follow the same order, across the reports without a due date too.
    seen: list[str] = []
    cursor = ""
    for _ in range(6):
        got = await query(f"limit=2{cursor}")
        seen += ids(got)
        nxt = got.json()["next_cursor"]
        if nxt is None:
            break
        cursor = f"&cursor={nxt}"
    assert seen == ids(page)
    assert (await query("cursor=%%%")).status_code == 400


async def test_who_sees_which_queue(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    r = await _agency_reports(maker)
    mine = {r[k] for k in ("overdue", "soon", "private", "garbage", "reopened", "no_due")}
    officer = await actors.staff("agency_officer", AGENCY)
    manager = await actors.staff("agency_manager", AGENCY)
    other_officer = await actors.staff("agency_officer", OTHER)
    coordinator = await actors.staff("coordinator")
    admin = await actors.staff("admin")
    resident = await actors.resident()

    assert (await client.get(QUEUE)).status_code == 401
    assert (await client.get(QUEUE, headers=resident)).status_code == 403
    for who in (officer, manager):
        assert set(ids(await client.get(QUEUE, headers=who))) == mine
        assert (await client.get(f"{QUEUE}?agency={OTHER}", headers=who)).status_code == 403
    # An officer of another agency sees their own agency's queue, never this one (public or not).
    assert ids(await client.get(QUEUE, headers=other_officer)) == [r["other_agency"]]
    assert (await client.get(f"{QUEUE}?agency={AGENCY}", headers=other_officer)).status_code == 403
    for who in (coordinator, admin):
        assert set(ids(await client.get(QUEUE, headers=who))) == mine | {r["other_agency"]}
        assert set(ids(await client.get(f"{QUEUE}?agency={AGENCY}", headers=who))) == mine
        assert ids(await client.get(f"{QUEUE}?agency={OTHER}", headers=who)) == [r["other_agency"]]

    officers = "/api/v1/staff/officers"
    assert (await client.get(officers, headers=resident)).status_code == 403
    assert (await client.get(f"{officers}?agency={AGENCY}", headers=other_officer)).status_code == 403
    listed = (await client.get(officers, headers=manager)).json()["items"]
    assert {o["role"] for o in listed} == {"agency_officer", "agency_manager"} and len(listed) == 2
    assert len((await client.get(f"{officers}?agency={AGENCY}", headers=coordinator)).json()["items"]) == 2
    assert (await client.get(officers, headers=coordinator)).status_code == 422


async def test_bulk_accept_is_all_or_nothing(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    a = await make_report(maker)
    b = await make_report(maker)
    closed = await make_report(maker, status="closed")
    theirs = await make_report(maker, agency_code=OTHER)
    private_theirs = await make_report(maker, agency_code=OTHER, is_public=False)
    officer = await actors.staff("agency_officer", AGENCY)
    url = f"{QUEUE}/accept"

    refused = await client.post(
        url, json={"report_ids": [str(a), str(closed), str(theirs), str(private_theirs)]}, headers=officer
    )
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert {e["field"] for e in problem["errors"]} == {str(closed), str(theirs), str(private_theirs)}
    assert all(e["message"] for e in problem["errors"])
    assert (await get_report(maker, a)).status == "assigned"  # nothing changed

    done = await client.post(url, json={"report_ids": [str(a), str(b)]}, headers=officer)
    assert done.status_code == 200, done.text
    assert [i["status"] for i in done.json()["items"]] == ["in_progress", "in_progress"]
    assert (await get_report(maker, b)).status == "in_progress"
    # Through the lifecycle: each acceptance is a step of the report's history.
    events = (await client.get(f"/api/v1/reports/{a}/events", headers=officer)).json()["items"]
    assert [e["to_status"] for e in events] == ["in_progress"]

    resident = await actors.resident()
    assert (await client.post(url, json={"report_ids": [str(a)]}, headers=resident)).status_code == 403
    assert (await client.post(url, json={"report_ids": [str(a)]})).status_code == 401
    assert (await client.post(url, json={"report_ids": []}, headers=officer)).status_code == 422


async def test_bulk_assign_to_an_officer_of_the_agency(
    client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    a = await make_report(maker)
    b = await make_report(maker, status="in_progress")
    triage = await make_report(maker, status="triage", agency_code=None)
    officer = await actors.staff("agency_officer", AGENCY)
    colleague = await actors.staff("agency_officer", AGENCY)
    manager = await actors.staff("agency_manager", AGENCY)
    stranger = await actors.staff("agency_officer", OTHER)
    coordinator = await actors.staff("coordinator")
    officer_id = await account_id(client, officer)
    colleague_id = await account_id(client, colleague)
    stranger_id = await account_id(client, stranger)
    url = f"{QUEUE}/assign"

    def body(officer: object, *reports: object) -> dict[str, object]:
        return {"officer": str(officer), "report_ids": [str(r) for r in reports]}

    done = await client.post(url, json=body(officer_id, a, b), headers=manager)
    assert done.status_code == 200, done.text
    assert {i["assignee"] for i in done.json()["items"]} == {str(officer_id)}
    assert ids(await client.get(f"{QUEUE}?assignee={officer_id}", headers=officer)) == [str(a), str(b)]
    assert ids(await client.get(f"{QUEUE}?unassigned=true", headers=officer)) == []

    # An officer takes work for themselves only; nobody gives it to another agency's officer.
    refused = await client.post(url, json=body(colleague_id, a), headers=officer)
    assert refused.status_code == 409 and [e["field"] for e in refused.json()["errors"]] == [str(a)]
    assert (await client.post(url, json=body(colleague_id, a), headers=colleague)).status_code == 200
    refused = await client.post(url, json=body(stranger_id, b), headers=coordinator)
    assert refused.status_code == 409
    refused = await client.post(url, json=body(stranger_id, b), headers=stranger)
    assert refused.status_code == 409
    # A report still in triage is not any agency's work yet.
    refused = await client.post(url, json=body(officer_id, triage), headers=coordinator)
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == str(triage)
    assert (await get_report(maker, b)).assignee_id == officer_id
    # The assignment is internal: the public history does not show it.
    assert (await client.get(f"/api/v1/reports/{a}/events")).json()["items"] == []
    internal = (await client.get(f"/api/v1/reports/{a}/events", headers=manager)).json()["items"]
    assert [e["type"] for e in internal] == ["assignee", "assignee"]
