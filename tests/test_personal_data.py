"""A resident's rights over their data: the notice, consents, export, account deletion."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.consents.service import NOTICE_VERSION
from congdan.models import (
    Account,
    ApiToken,
    AuditEntry,
    Consent,
    Delivery,
    Media,
    Notification,
    OtpChallenge,
    Report,
)
from congdan.outbox.relay import Relay
from tests.conftest import Actors, jpeg_with_gps, report_body

Maker = async_sessionmaker[AsyncSession]
CONTACT = {"name": "Lê Văn Cường", "phone": "0933444555", "email": "cuong@example.vn"}
CONTACT_PHONE = "+84933444555"


async def _consents(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/me/consents", headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def _audit_actions(maker: Maker, subject_id: str) -> list[str]:
    async with maker() as session:
        rows = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.subject_id == subject_id).order_by(AuditEntry.seq)
            )
        ).all()
    return list(rows)


async def _account_id(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    return str((await client.get("/api/v1/me", headers=headers)).json()["id"])


# ---- the notice and consents -------------------------------------------------------------------


async def test_notice_in_vietnamese_and_english(client: httpx.AsyncClient) -> None:
    vi = (await client.get("/api/v1/privacy/notice")).json()
    en = (await client.get("/api/v1/privacy/notice", headers={"Accept-Language": "en"})).json()
    assert vi["version"] == en["version"] == NOTICE_VERSION
    assert vi["language"] == "vi" and "Thông báo xử lý dữ liệu cá nhân" in vi["text"]
    assert en["language"] == "en" and "Personal data notice" in en["text"]
    for notice in (vi, en):
        assert "91/2025/QH15" in notice["text"]
        assert [p["code"] for p in notice["purposes"]] == ["account", "report_handling"]
    assert en["purposes"][0]["description"].startswith("Your account")


async def test_consent_is_recorded_at_sign_in_and_first_report(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    phone = "+84901112233"
    resident = await actors.resident(phone)
    [signed_in] = await _consents(client, resident)
    assert signed_in["purpose"] == "account" and signed_in["source"] == "sign_in"
    assert signed_in["notice_version"] == NOTICE_VERSION and signed_in["active"] is True
    assert signed_in["withdrawn_at"] is None and signed_in["granted_at"]

    again = await actors.resident(phone)  # signing in again agrees to nothing new
    assert len(await _consents(client, again)) == 1

    for _ in range(2):
        r = await client.post("/api/v1/reports", json=report_body(), headers=resident)
        assert r.status_code == 201
    consents = await _consents(client, resident)
    assert [(c["purpose"], c["source"]) for c in consents] == [
        ("account", "sign_in"),
        ("report_handling", "report"),
    ]


async def test_anonymous_reporter_leaving_contact_consents_for_that_report(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    with_contact = (await client.post("/api/v1/reports", json=report_body(contact=CONTACT))).json()
    without = (await client.post("/api/v1/reports", json=report_body())).json()
    async with maker() as session:
        rows = (await session.scalars(select(Consent))).all()
    assert [(str(c.report_id), c.purpose, c.notice_version) for c in rows] == [
        (with_contact["id"], "report_handling", NOTICE_VERSION)
    ]
    assert without["id"] not in {str(c.report_id) for c in rows}


async def test_withdrawing_consent(client: httpx.AsyncClient, actors: Actors, maker: Maker) -> None:
    phone = "+84901112244"
    resident = await actors.resident(phone)
    other = await actors.resident()
    [consent] = await _consents(client, resident)
    url = f"/api/v1/me/consents/{consent['id']}/withdraw"

    assert (await client.post(url, headers=other)).status_code == 404  # not theirs
    assert (await client.post(url)).status_code == 401
    r = await client.post(url, headers=resident)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and r.json()["withdrawn_at"] is not None
    assert (await client.post(url, headers=resident)).status_code == 409
    [listed] = await _consents(client, resident)
    assert listed["withdrawn_at"] is not None
    assert "consent.withdrawn" in await _audit_actions(maker, await _account_id(client, resident))

    # Signing in again is a new agreement: a new consent, the withdrawn one kept as history.
    again = await actors.resident(phone)
    consents = await _consents(client, again)
    assert [c["active"] for c in consents] == [False, True]


# ---- export --------------------------------------------------------------------------------------


async def test_export_holds_everything_about_the_resident(
    client: httpx.AsyncClient, actors: Actors, relay: Relay, maker: Maker
) -> None:
    phone = "+84901112255"
    resident = await actors.resident(phone)
    someone_else = await actors.resident()
    officer = await actors.staff("agency_officer", "so_xay_dung")
    upload = await client.post(
        "/api/v1/uploads", files={"file": ("a.jpg", jpeg_with_gps(), "image/jpeg")}, headers=resident
    )
    assert upload.status_code == 201
    photo_id = upload.json()["id"]
    mine = (
        await client.post(
            "/api/v1/reports", json=report_body(contact=CONTACT, photos=[photo_id]), headers=resident
        )
    ).json()
    theirs = (await client.post("/api/v1/reports", json=report_body(), headers=someone_else)).json()
    reply = await client.post(
        f"/api/v1/reports/{mine['id']}/replies", json={"message": "Đã cử đội sửa chữa."}, headers=officer
    )
    assert reply.status_code == 201
    note = await client.post(
        f"/api/v1/reports/{mine['id']}/notes", json={"note": "ghi chú nội bộ"}, headers=officer
    )
    assert note.status_code == 201
    await relay.drain()

    r = await client.get("/api/v1/me/export", headers=resident)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["account"]["phone"] == phone and data["account"]["role"] == "resident"
    assert data["notice_version"] == NOTICE_VERSION
    assert {c["purpose"] for c in data["consents"]} == {"account", "report_handling"}
    assert [rep["id"] for rep in data["reports"]] == [mine["id"]]
    assert data["reports"][0]["contact"]["phone"] == CONTACT_PHONE
    assert theirs["id"] not in r.text
    event_notes = [e["note"] for e in data["events"]]
    assert "Đã cử đội sửa chữa." in event_notes and "ghi chú nội bộ" not in event_notes
    assert all(e["report_id"] == mine["id"] for e in data["events"])
    assert len(data["notifications"]) >= 2
    assert all(n["report_id"] == mine["id"] for n in data["notifications"])
    [photo] = data["photos"]
    assert photo["id"] == photo_id and photo["url"].startswith("/media/")
    assert (await client.get(photo["url"])).status_code == 200
    assert "personal_data.exported" in await _audit_actions(maker, data["account"]["id"])

    assert (await client.get("/api/v1/me/export")).status_code == 401


# ---- deletion ------------------------------------------------------------------------------------


async def test_deleting_the_account_keeps_reports_anonymised(
    client: httpx.AsyncClient, actors: Actors, relay: Relay, maker: Maker, settings: Settings
) -> None:
    phone = "+84901112266"
    resident = await actors.resident(phone)
    coordinator = await actors.staff("coordinator")
    account_id = await _account_id(client, resident)
    attached = await client.post(
        "/api/v1/uploads", files={"file": ("a.jpg", jpeg_with_gps(), "image/jpeg")}, headers=resident
    )
    unsent = await client.post(
        "/api/v1/uploads", files={"file": ("b.jpg", jpeg_with_gps(), "image/jpeg")}, headers=resident
    )
    report = (
        await client.post(
            "/api/v1/reports",
            json=report_body(contact=CONTACT, photos=[attached.json()["id"]]),
            headers={**resident, "Idempotency-Key": "delete-me-1"},
        )
    ).json()
    unsent_file = settings.resolved_media_dir / unsent.json()["url"].removeprefix("/media/")
    assert unsent_file.exists()
    await relay.drain()

    missing = await client.delete("/api/v1/me", headers=resident)
    assert missing.status_code == 422
    declined = await client.delete("/api/v1/me", params={"confirm": "false"}, headers=resident)
    assert declined.status_code == 422 and declined.json()["errors"][0]["field"] == "confirm"
    assert (await client.get("/api/v1/me", headers=resident)).status_code == 200  # nothing happened

    r = await client.delete("/api/v1/me", params={"confirm": "true"}, headers=resident)
    assert r.status_code == 204, r.text

    assert (await client.get("/api/v1/me", headers=resident)).status_code == 401  # token revoked
    kept = (await client.get(f"/api/v1/reports/{report['id']}", headers=coordinator)).json()
    assert kept["tracking_code"] == report["tracking_code"] and kept["description"] == report["description"]
    assert kept["contact"] is None and kept["hide_identity"] is True
    async with maker() as session:
        stored = await session.get(Report, uuid.UUID(report["id"]))
        assert stored is not None and stored.reporter_id is None
        assert (stored.contact_name, stored.contact_phone, stored.contact_email) == (None, None, None)
        assert await session.get(Account, uuid.UUID(account_id)) is None
        for model, column in ((ApiToken, ApiToken.account_id), (Consent, Consent.account_id)):
            count = await session.scalar(
                select(func.count()).select_from(model).where(column == uuid.UUID(account_id))
            )
            assert count == 0, model
        assert (
            await session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.account_id == uuid.UUID(account_id))
            )
            == 0
        )
        assert (
            await session.scalars(select(OtpChallenge).where(OtpChallenge.destination == phone))
        ).all() == []
        assert (await session.scalars(select(Delivery).where(Delivery.recipient == phone))).all() == []
        replayable = await session.scalar(
            text("SELECT count(*) FROM idempotency_keys WHERE scope = :s"), {"s": f"reports:{account_id}"}
        )
        assert replayable == 0
    assert "account.deleted" in await _audit_actions(maker, account_id)
    # The photo on the report stays with it; the one never sent is deleted, file and all.
    async with maker() as session:
        assert await session.get(Media, uuid.UUID(attached.json()["id"])) is not None
        assert await session.get(Media, uuid.UUID(unsent.json()["id"])) is None
    await relay.drain()
    assert not unsent_file.exists()
    assert (await client.get(attached.json()["url"])).status_code == 200

    # The same phone can sign up again: a new account, with none of the old reports.
    fresh = await actors.resident(phone)
    assert await _account_id(client, fresh) != account_id
    mine = (await client.get("/api/v1/reports", params={"mine": "true"}, headers=fresh)).json()
    assert mine["items"] == []


async def test_staff_cannot_delete_themselves(client: httpx.AsyncClient, actors: Actors) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    r = await client.delete("/api/v1/me", params={"confirm": "true"}, headers=officer)
    assert r.status_code == 403
    assert (await client.get("/api/v1/me", headers=officer)).status_code == 200
    assert (await client.delete("/api/v1/me", params={"confirm": "true"})).status_code == 401
