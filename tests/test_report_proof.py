"""An anonymous reporter proves, by a one-time code sent to the contact they left, that a report is theirs."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.models import OutboxMessage
from tests.conftest import Actors, submit

PHONE = "0903123456"
Maker = async_sessionmaker[AsyncSession]


async def _codes(maker: Maker) -> list[dict[str, Any]]:
    async with maker() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.event_type == "auth.code_requested")
        return [dict(m.payload) for m in (await session.scalars(stmt.order_by(OutboxMessage.id))).all()]


async def _resolved(client: httpx.AsyncClient, actors: Actors, **overrides: Any) -> dict[str, Any]:
    report = await submit(client, contact={"name": "Trần Thị Ẩn", "phone": PHONE}, **overrides)
    officer = await actors.staff("agency_officer", "so_xay_dung")
    for move in ({"to": "in_progress"}, {"to": "resolved", "note": "Đã vá xong."}):
        r = await client.post(f"/api/v1/reports/{report['id']}/transitions", json=move, headers=officer)
        assert r.status_code == 200, r.text
    return report


async def _prove(client: httpx.AsyncClient, maker: Maker, code: str, contact: str = PHONE) -> dict[str, str]:
    r = await client.post(f"/api/v1/reports/by-code/{code}/proof", json={"contact": contact})
    assert r.status_code == 202, r.text
    one_time = (await _codes(maker))[-1]["code"]
    r = await client.post(
        f"/api/v1/reports/by-code/{code}/proof/verify", json={"contact": contact, "code": one_time}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_anonymous_reporter_proves_then_rates_reopens_follows_and_reads(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    report = await _resolved(client, actors, visibility="private")
    rid, code = report["id"], report["tracking_code"]
    # Without the proof, a private report does not exist for the caller.
    assert (await client.post(f"/api/v1/reports/{rid}/rating", json={"score": 4})).status_code == 404

    proven = await _prove(client, maker, code.lower(), contact="+84 903 123 456")
    [sent] = await _codes(maker)
    assert sent["purpose"] == "report_proof" and sent["channel"] == "sms" and sent["tracking_code"] == code

    own = await client.get(f"/api/v1/reports/{rid}", headers=proven)
    assert own.status_code == 200 and own.json()["is_mine"] is True
    assert own.json()["contact"]["name"] == "Trần Thị Ẩn"  # the reporter's own view
    by_code = (await client.get(f"/api/v1/reports/by-code/{code}", headers=proven)).json()
    assert by_code["description"] and by_code["contact"] is not None
    assert "contact" not in (await client.get(f"/api/v1/reports/by-code/{code}")).json()

    rated = await client.post(f"/api/v1/reports/{rid}/rating", json={"score": 4}, headers=proven)
    assert rated.status_code == 200 and rated.json()["rating"] == 4
    assert (await client.put(f"/api/v1/reports/{rid}/follow", headers=proven)).status_code == 204
    reopened = await client.post(
        f"/api/v1/reports/{rid}/transitions", json={"to": "reopened", "note": "Vẫn còn ổ gà."}, headers=proven
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "reopened"


async def test_the_token_is_good_for_that_one_report_only(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    mine = await _resolved(client, actors)
    other_private = await _resolved(client, actors, visibility="private")
    other_public = await _resolved(client, actors)
    proven = await _prove(client, maker, mine["tracking_code"])

    assert (await client.get(f"/api/v1/reports/{other_private['id']}", headers=proven)).status_code == 404
    public = await client.get(f"/api/v1/reports/{other_public['id']}", headers=proven)
    assert public.status_code == 200 and public.json()["contact"] is None and not public.json()["is_mine"]
    for path, body in (
        (f"/api/v1/reports/{other_public['id']}/rating", {"score": 1}),
        (
            f"/api/v1/reports/{other_public['id']}/transitions",
            {"to": "reopened", "note": "không phải của tôi"},
        ),
    ):
        assert (await client.post(path, json=body, headers=proven)).status_code == 403
    assert (
        await client.put(f"/api/v1/reports/{other_public['id']}/follow", headers=proven)
    ).status_code == 403
    # Not a signed-in resident: no account, no inbox, no staff work.
    assert (await client.get("/api/v1/me", headers=proven)).status_code == 401
    assert (await client.get("/api/v1/me/notifications", headers=proven)).status_code == 401
    note = await client.post(f"/api/v1/reports/{mine['id']}/notes", json={"note": "x"}, headers=proven)
    assert note.status_code == 401
    close = await client.post(
        f"/api/v1/reports/{mine['id']}/transitions", json={"to": "closed"}, headers=proven
    )
    assert close.status_code == 200  # the reporter may close their own resolved report


async def test_wrong_codes_are_counted_and_lock_the_code(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, settings: Settings
) -> None:
    report = await _resolved(client, actors)
    code = report["tracking_code"]
    assert (
        await client.post(f"/api/v1/reports/by-code/{code}/proof", json={"contact": PHONE})
    ).status_code == 202
    right = (await _codes(maker))[-1]["code"]
    wrong = "000000" if right != "000000" else "111111"
    verify = f"/api/v1/reports/by-code/{code}/proof/verify"
    for _ in range(settings.otp_max_attempts):
        r = await client.post(verify, json={"contact": PHONE, "code": wrong})
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    r = await client.post(verify, json={"contact": PHONE, "code": right})
    assert r.status_code == 401  # locked: a new code is needed
    # A proof code never signs anyone in, and a sign-in code never proves a report.
    r = await client.post("/api/v1/auth/code/verify", json={"phone": PHONE, "code": right})
    assert r.status_code == 401


async def test_a_contact_that_does_not_match_sends_nothing_but_answers_the_same(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    report = await _resolved(client, actors)
    path = f"/api/v1/reports/by-code/{report['tracking_code']}/proof"
    matching = await client.post(path, json={"contact": PHONE})
    sent = len(await _codes(maker))
    other = await client.post(path, json={"contact": "0912000111"})
    email = await client.post(path, json={"contact": "ai.do@example.vn"})
    assert matching.status_code == other.status_code == email.status_code == 202
    assert matching.json() == other.json() == email.json()
    assert len(await _codes(maker)) == sent == 1
    r = await client.post(
        f"{path}/verify", json={"contact": "0912000111", "code": (await _codes(maker))[-1]["code"]}
    )
    assert r.status_code == 401
    bad = await client.post(path, json={"contact": "không phải liên hệ"}, headers={"Accept-Language": "en"})
    assert bad.status_code == 422 and "phone number or email" in bad.text
    missing = await client.post("/api/v1/reports/by-code/AAAAA-AAAAA/proof", json={"contact": PHONE})
    assert missing.status_code == 404


async def test_a_report_sent_from_an_account_is_not_proven_by_code(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    resident = await actors.resident(phone="+84903123456")
    report = await submit(client, resident, contact={"phone": PHONE})
    before = len(await _codes(maker))
    path = f"/api/v1/reports/by-code/{report['tracking_code']}/proof"
    assert (await client.post(path, json={"contact": PHONE})).status_code == 202
    assert len(await _codes(maker)) == before  # the owner signs in instead
