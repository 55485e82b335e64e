"""Someone follows a public report; staff mark it a duplicate of a private one; the follower's
notifications then carry the private report's tracking code and its news."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.models import Notification, OutboxMessage, ReportFollower
from congdan.outbox.relay import Relay
from tests.conftest import Actors, submit

Maker = async_sessionmaker[AsyncSession]


async def _account_id(client: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID((await client.get("/api/v1/me", headers=headers)).json()["id"])


async def _inbox(maker: Maker, account_id: uuid.UUID) -> list[Notification]:
    async with maker() as s:
        stmt = select(Notification).where(Notification.account_id == account_id)
        return list((await s.scalars(stmt)).all())


async def test_followers_of_a_duplicate_are_told_of_the_merge_only(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, relay: Relay
) -> None:
    owner, reporter, follower = await actors.resident(), await actors.resident(), await actors.resident()
    original = await submit(client, owner, category="road_damage", visibility="private")
    public = await submit(client, reporter, category="road_damage")
    anonymous = await submit(client, category="road_damage", contact={"phone": "0909123456"})
    assert (await client.put(f"/api/v1/reports/{public['id']}/follow", headers=follower)).status_code == 204
    coordinator = await actors.staff("coordinator")
    for rid in (public["id"], anonymous["id"]):
        r = await client.post(
            f"/api/v1/reports/{rid}/transitions",
            json={"to": "duplicate", "duplicate_of": original["id"]},
            headers=coordinator,
        )
        assert r.status_code == 200, r.text
    async with maker() as s:
        stmt = select(ReportFollower).where(ReportFollower.report_id == uuid.UUID(original["id"]))
        assert (await s.scalars(stmt)).all() == []  # nobody may see the private original
    await relay.drain()
    officer = await actors.staff("agency_officer", original["agency"]["code"])
    r = await client.post(
        f"/api/v1/reports/{original['id']}/transitions", json={"to": "in_progress"}, headers=officer
    )
    assert r.status_code == 200, r.text
    await relay.drain()

    for who in (reporter, follower):
        notes = await _inbox(maker, await _account_id(client, who))
        text = " ".join(n.title + " " + n.body for n in notes)
        assert original["tracking_code"] not in text
        assert all(n.report_id != uuid.UUID(original["id"]) for n in notes)
        merged = [n for n in notes if n.report_id == uuid.UUID(public["id"]) and "gộp" in n.body]
        assert len(merged) == 1 and public["tracking_code"] in merged[0].body
    # The original's own reporter still hears of its progress.
    own = await _inbox(maker, await _account_id(client, owner))
    assert any(n.report_id == uuid.UUID(original["id"]) and "đang được xử lý" in n.body for n in own)


async def test_a_follower_row_does_not_outlive_the_right_to_see(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, relay: Relay
) -> None:
    """A follower row onto a private report (one made before this rule) sends nothing."""
    stranger = await actors.resident()
    private = await submit(client, category="road_damage", visibility="private")
    anonymous = await submit(client, category="road_damage", contact={"phone": "0909123457"})
    async with maker() as s, s.begin():
        rid = uuid.UUID(private["id"])
        s.add(ReportFollower(report_id=rid, account_id=await _account_id(client, stranger), reason="follow"))
        s.add(ReportFollower(report_id=rid, via_report_id=uuid.UUID(anonymous["id"]), reason="duplicate"))
    await relay.drain()
    officer = await actors.staff("agency_officer", private["agency"]["code"])
    r = await client.post(
        f"/api/v1/reports/{private['id']}/transitions", json={"to": "in_progress"}, headers=officer
    )
    assert r.status_code == 200, r.text
    await relay.drain()
    notes = await _inbox(maker, await _account_id(client, stranger))
    assert all(private["tracking_code"] not in n.title + n.body for n in notes)
    # The private report was sent without contact details: nothing about it may go out by SMS.
    async with maker() as s:
        stmt = select(OutboxMessage).where(OutboxMessage.event_type == "notify.send")
        sent = [m.payload for m in (await s.scalars(stmt)).all()]
    assert [p for p in sent if p.get("topic") == f"report:{private['id']}" and p["channel"] == "sms"] == []
    assert any(p.get("topic") == f"report:{anonymous['id']}" for p in sent)  # its own receipt went out
