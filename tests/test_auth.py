"""Signing in: one-time codes for residents, passwords for staff, and the bearer tokens both give."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.passwords import hash_password
from congdan.accounts.service import create_staff
from congdan.config import Settings
from congdan.db import utcnow
from congdan.models import Account, ApiToken, Delivery, OtpChallenge, OutboxMessage
from congdan.outbox.relay import Relay
from tests.conftest import PASSWORD, Actors
from tests.staff_support import StaffLogin

Maker = async_sessionmaker[AsyncSession]
PHONE_E164 = "+84912345678"
PROBLEM = "application/problem+json"


def _phone() -> str:
    """A fresh valid Vietnamese mobile number in E.164 (Viettel 098 prefix)."""
    return f"+8498{uuid.uuid4().int % 10_000_000:07d}"


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def _request(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/auth/code", json=body)


async def _verify(client: httpx.AsyncClient, code: str, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/auth/code/verify", json={**body, "code": code})


async def _code_rows(maker: Maker, destination: str) -> list[OutboxMessage]:
    async with maker() as session:
        challenges = select(OtpChallenge.id).where(OtpChallenge.destination == destination)
        ids = [str(i) for i in (await session.scalars(challenges)).all()]
        rows = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.event_type == "auth.code_requested", OutboxMessage.aggregate_id.in_(ids))
                .order_by(OutboxMessage.id)
            )
        ).all()
    return list(rows)


async def _challenge(maker: Maker, destination: str) -> OtpChallenge:
    async with maker() as session:
        found = (
            await session.scalars(
                select(OtpChallenge)
                .where(OtpChallenge.destination == destination)
                .order_by(OtpChallenge.created_at.desc())
            )
        ).first()
    assert found is not None
    return found


async def _me(client: httpx.AsyncClient, token: str, **headers: str) -> httpx.Response:
    return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}", **headers})


def _assert_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["type"] and body["title"] and body["detail"]
    return body


async def _staff(maker: Maker, role: str = "agency_officer", agency: str | None = "so_xay_dung") -> str:
    email = f"canbo.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role=role, agency_code=agency)
    return email


# ---- requesting a code -----------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["0912345678", "+84912345678", "091 234 5678", "0912.345.678"])
async def test_code_by_phone_in_vietnamese_forms(
    client: httpx.AsyncClient, maker: Maker, settings: Settings, typed: str
) -> None:
    r = await _request(client, phone=typed)
    assert r.status_code == 202, r.text
    assert r.json() == {"channel": "sms", "expires_in": settings.otp_ttl_minutes * 60}

    rows = await _code_rows(maker, PHONE_E164)
    assert len(rows) == 1
    payload = rows[0].payload
    assert payload["channel"] == "sms"
    assert payload["locale"] == "vi"
    code = str(payload["code"])
    assert len(code) == 6 and code.isdigit()
    assert rows[0].status == "pending"

    challenge = await _challenge(maker, PHONE_E164)
    assert challenge.channel == "sms"
    assert challenge.consumed_at is None and challenge.attempts == 0
    assert code not in challenge.code_hash  # only a keyed hash of the code is kept


async def test_code_requested_in_one_form_verifies_in_another(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    assert (await _request(client, phone="0912345678")).status_code == 202
    code = await actors.latest_code(PHONE_E164)
    r = await _verify(client, code, phone="+84 91 234 56 78")
    assert r.status_code == 200, r.text


async def test_code_by_email_is_normalised(client: httpx.AsyncClient, maker: Maker) -> None:
    r = await _request(client, email="  Nguoi.Dan@Example.VN ")
    assert r.status_code == 202, r.text
    assert r.json()["channel"] == "email"
    rows = await _code_rows(maker, "nguoi.dan@example.vn")
    assert len(rows) == 1
    assert rows[0].payload["channel"] == "email"
    assert str(rows[0].payload["code"]).isdigit()


async def test_code_request_records_the_callers_language(client: httpx.AsyncClient, maker: Maker) -> None:
    phone = _phone()
    r = await client.post("/api/v1/auth/code", json={"phone": phone}, headers={"Accept-Language": "en"})
    assert r.status_code == 202
    assert (await _code_rows(maker, phone))[0].payload["locale"] == "en"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "không phải số"}, "phone"),
        ({"phone": "+1 202 555 01"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({}, "phone"),
        ({"phone": "0912345678", "password": "x"}, "password"),
    ],
)
async def test_invalid_destination_is_422_with_field(
    client: httpx.AsyncClient, maker: Maker, body: dict[str, Any], field: str
) -> None:
    r = await client.post("/api/v1/auth/code", json=body)
    problem = _assert_problem(r, 422)
    assert field in [e["field"] for e in problem["errors"]]
    assert all(e["message"] for e in problem["errors"])
    async with maker() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert await session.scalar(select(func.count()).select_from(OtpChallenge)) == 0


async def test_verify_rejects_invalid_phone_with_422(client: httpx.AsyncClient) -> None:
    problem = _assert_problem(await _verify(client, "123456", phone="12"), 422)
    assert [e["field"] for e in problem["errors"]] == ["phone"]


# ---- verifying a code ------------------------------------------------------------------------


async def test_right_code_gives_token_and_creates_resident_once(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, settings: Settings
) -> None:
    assert (await _request(client, phone="0912345678")).status_code == 202
    code = await actors.latest_code(PHONE_E164)
    r = await _verify(client, code, phone="0912345678")
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["token_type"] == "bearer"
    assert first["role"] == "resident"
    assert first["expires_in"] == settings.token_ttl_hours * 3600
    assert first["access_token"]

    me = await _me(client, first["access_token"])
    assert me.status_code == 200, me.text
    assert me.json()["id"] == first["account_id"]
    assert me.json()["phone"] == PHONE_E164
    assert me.json()["role"] == "resident"
    assert me.json()["email"] is None

    # A second sign-in with the same number (typed differently) reuses the account.
    assert (await _request(client, phone=PHONE_E164)).status_code == 202
    code2 = await actors.latest_code(PHONE_E164)
    r2 = await _verify(client, code2, phone=PHONE_E164)
    assert r2.status_code == 200, r2.text
    second = r2.json()
    assert second["account_id"] == first["account_id"]
    assert second["access_token"] != first["access_token"]

    async with maker() as session:
        accounts = (await session.scalars(select(Account).where(Account.phone == PHONE_E164))).all()
        assert len(accounts) == 1
        assert accounts[0].role == "resident"
        assert accounts[0].password_hash is None
        assert await session.scalar(select(func.count()).select_from(Account)) == 1
        # Both tokens stay valid: signing in again does not sign the phone out elsewhere.
        assert await session.scalar(select(func.count()).select_from(ApiToken)) == 2
    assert (await _me(client, first["access_token"])).status_code == 200


async def test_email_sign_in_creates_email_resident(client: httpx.AsyncClient, actors: Actors) -> None:
    email = f"dan.{uuid.uuid4().hex[:6]}@example.vn"
    assert (await _request(client, email=email.upper())).status_code == 202
    code = await actors.latest_code(email)
    r = await _verify(client, code, email=email)
    assert r.status_code == 200, r.text
    me = (await _me(client, r.json()["access_token"])).json()
    assert me["email"] == email and me["phone"] is None and me["role"] == "resident"


async def test_wrong_code_is_401_and_counted(client: httpx.AsyncClient, actors: Actors, maker: Maker) -> None:
    phone = _phone()
    await _request(client, phone=phone)
    code = await actors.latest_code(phone)
    r = await _verify(client, _wrong(code), phone=phone)
    body = _assert_problem(r, 401)
    assert body["type"].endswith("/unauthorized")
    assert "access_token" not in body
    challenge = await _challenge(maker, phone)
    assert challenge.attempts == 1
    assert challenge.consumed_at is None
    async with maker() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 0

    # One wrong try does not burn the code.
    assert (await _verify(client, code, phone=phone)).status_code == 200
    assert (await _challenge(maker, phone)).attempts == 2


async def test_after_max_attempts_even_right_code_fails(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, settings: Settings
) -> None:
    phone = _phone()
    await _request(client, phone=phone)
    code = await actors.latest_code(phone)
    for _ in range(settings.otp_max_attempts):
        _assert_problem(await _verify(client, _wrong(code), phone=phone), 401)
    assert (await _challenge(maker, phone)).attempts == settings.otp_max_attempts

    _assert_problem(await _verify(client, code, phone=phone), 401)
    async with maker() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 0
        assert await session.scalar(select(func.count()).select_from(ApiToken)) == 0

    # A fresh code works again.
    await _request(client, phone=phone)
    fresh = await actors.latest_code(phone)
    assert (await _verify(client, fresh, phone=phone)).status_code == 200


async def test_expired_code_fails(client: httpx.AsyncClient, actors: Actors, maker: Maker) -> None:
    phone = _phone()
    await _request(client, phone=phone)
    code = await actors.latest_code(phone)
    async with maker() as session, session.begin():
        await session.execute(
            update(OtpChallenge)
            .where(OtpChallenge.destination == phone)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    _assert_problem(await _verify(client, code, phone=phone), 401)
    async with maker() as session:
        assert await session.scalar(select(func.count()).select_from(ApiToken)) == 0


async def test_code_not_yet_expired_works(client: httpx.AsyncClient, actors: Actors, maker: Maker) -> None:
    """The counterpart of the expiry test: a code close to its end still works."""
    phone = _phone()
    await _request(client, phone=phone)
    code = await actors.latest_code(phone)
    async with maker() as session, session.begin():
        await session.execute(
            update(OtpChallenge)
            .where(OtpChallenge.destination == phone)
            .values(expires_at=utcnow() + timedelta(seconds=60))
        )
    assert (await _verify(client, code, phone=phone)).status_code == 200


async def test_code_can_be_used_once(client: httpx.AsyncClient, actors: Actors, maker: Maker) -> None:
    phone = _phone()
    await _request(client, phone=phone)
    code = await actors.latest_code(phone)
    assert (await _verify(client, code, phone=phone)).status_code == 200
    assert (await _challenge(maker, phone)).consumed_at is not None
    _assert_problem(await _verify(client, code, phone=phone), 401)
    async with maker() as session:
        assert await session.scalar(select(func.count()).select_from(ApiToken)) == 1


async def test_code_can_be_used_once_even_concurrently(app: Any, actors: Actors, maker: Maker) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        phone = _phone()
        await _request(client, phone=phone)
        code = await actors.latest_code(phone)
        answers = await asyncio.gather(*(_verify(client, code, phone=phone) for _ in range(5)))
    assert sorted(r.status_code for r in answers) == [200, 401, 401, 401, 401]
    async with maker() as session:
        assert await session.scalar(select(func.count()).select_from(ApiToken)) == 1
        assert await session.scalar(select(func.count()).select_from(Account)) == 1


async def test_concurrent_wrong_guesses_all_count(
    app: Any, actors: Actors, maker: Maker, settings: Any
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        phone = _phone()
        await _request(client, phone=phone)
        code = await actors.latest_code(phone)
        wrong = "000000" if code != "000000" else "111111"
        answers = await asyncio.gather(*(_verify(client, wrong, phone=phone) for _ in range(12)))
        assert {r.status_code for r in answers} == {401}
        assert (await _challenge(maker, phone)).attempts == settings.otp_max_attempts
        assert (await _verify(client, code, phone=phone)).status_code == 401


async def test_code_is_bound_to_its_destination(client: httpx.AsyncClient, actors: Actors) -> None:
    phone, other = _phone(), _phone()
    await _request(client, phone=phone)
    await _request(client, phone=other)
    code = await actors.latest_code(phone)
    other_code = await actors.latest_code(other)
    if code != other_code:
        _assert_problem(await _verify(client, code, phone=other), 401)
    assert (await _verify(client, code, phone=phone)).status_code == 200


async def test_verify_without_any_request_is_401(client: httpx.AsyncClient) -> None:
    _assert_problem(await _verify(client, "123456", phone=_phone()), 401)


# ---- delivery through the outbox -------------------------------------------------------------


async def test_delivery_scrubs_code_and_records_dev_log(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, relay: Relay
) -> None:
    phone = _phone()
    await _request(client, phone=phone)
    code = await actors.latest_code(phone)
    [row] = await _code_rows(maker, phone)

    assert await relay.drain() >= 1

    async with maker() as session:
        message = await session.get(OutboxMessage, row.id)
        assert message is not None
        assert message.status == "done"
        assert "code" not in message.payload
        assert code not in str(message.payload.values())
        # The payload points at the challenge; the phone number itself is only stored sealed.
        assert phone not in str(message.payload.values())
        # The code travels in one notify.send row, handed to the SMS channel (the dev log here).
        sends = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "notify.send"))
        ).all()
        assert [m.status for m in sends] == ["done"]
        assert code not in str(sends[0].payload.values())  # wiped once handed over
        assert phone not in str(sends[0].payload.values())
        deliveries = (await session.scalars(select(Delivery).where(Delivery.outbox_id == sends[0].id))).all()
    assert len(deliveries) == 1
    assert deliveries[0].channel == "sms"
    assert deliveries[0].recipient == phone
    assert deliveries[0].status == "sent" and deliveries[0].provider_response == "logged"

    # Delivering removes the code from the outbox, not from the challenge: it still signs in.
    assert (await _verify(client, code, phone=phone)).status_code == 200

    # Draining again delivers nothing twice.
    assert await relay.drain() == 0
    async with maker() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 1


# ---- staff sign-in ---------------------------------------------------------------------------


async def test_staff_login_with_password(client: httpx.AsyncClient, maker: Maker, settings: Settings) -> None:
    email = await _staff(maker)
    async with maker() as session:
        account = (await session.scalars(select(Account).where(Account.email == email))).one()
    assert account.password_hash is not None and account.password_hash.startswith("$argon2")
    assert PASSWORD not in account.password_hash

    # The password alone signs nobody in: the account enrols a second factor first.
    r = await client.post("/api/v1/auth/login", json={"email": f"  {email.upper()} ", "password": PASSWORD})
    assert _assert_problem(r, 401)["type"] == "/problems/second-factor-required"
    body = await StaffLogin(f"  {email.upper()} ", PASSWORD).enrol(client)
    assert body["role"] == "agency_officer"
    assert body["account_id"] == str(account.id)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.staff_token_ttl_hours * 3600

    me = await _me(client, body["access_token"])
    assert me.status_code == 200
    assert me.json() == {
        "id": str(account.id),
        "role": "agency_officer",
        "email": email,
        "phone": None,
        "display_name": None,
        "agency": "so_xay_dung",
        "locale": "vi",
    }


async def test_failed_logins_are_indistinguishable(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    email = await _staff(maker, role="coordinator", agency=None)

    # A resident who signed in by email, even one that somehow has a password, cannot use staff sign-in.
    resident_email = f"dan.{uuid.uuid4().hex[:6]}@example.vn"
    await _request(client, email=resident_email)
    code = await actors.latest_code(resident_email)
    assert (await _verify(client, code, email=resident_email)).status_code == 200
    async with maker() as session, session.begin():
        await session.execute(
            update(Account)
            .where(Account.email == resident_email)
            .values(password_hash=hash_password(PASSWORD))
        )

    attempts = [
        {"email": email, "password": PASSWORD + "x"},
        {"email": email, "password": PASSWORD.upper()},
        {"email": f"khong.co.{uuid.uuid4().hex[:6]}@example.vn", "password": PASSWORD},
        {"email": resident_email, "password": PASSWORD},
    ]
    bodies = []
    for attempt in attempts:
        r = await client.post("/api/v1/auth/login", json=attempt)
        bodies.append(_assert_problem(r, 401))
    assert all(b == bodies[0] for b in bodies), bodies

    # The right password still works after the failures.
    await StaffLogin(email, PASSWORD).enrol(client)
    async with maker() as session:
        tokens = (await session.scalars(select(ApiToken))).all()
        staff = (await session.scalars(select(Account).where(Account.email == email))).one()
    # Only the resident's code sign-in and the good staff login issued tokens.
    assert sorted(t.account_id == staff.id for t in tokens) == [False, True]


async def test_login_missing_fields_is_422(client: httpx.AsyncClient) -> None:
    problem = _assert_problem(await client.post("/api/v1/auth/login", json={"email": "a@example.vn"}), 422)
    assert [e["field"] for e in problem["errors"]] == ["password"]


async def test_deactivated_staff_cannot_sign_in_and_token_stops_working(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    email = await _staff(maker)
    login = StaffLogin(email, PASSWORD)
    token = (await login.enrol(client))["access_token"]
    async with maker() as session, session.begin():
        await session.execute(update(Account).where(Account.email == email).values(is_active=False))
    payload = {"email": email, "password": PASSWORD, "totp": login.fresh_code()}
    problem = _assert_problem(await client.post("/api/v1/auth/login", json=payload), 401)
    assert problem["type"] == "/problems/unauthorized"
    _assert_problem(await _me(client, token), 401)


# ---- tokens ----------------------------------------------------------------------------------


async def test_me_requires_a_token(client: httpx.AsyncClient) -> None:
    _assert_problem(await client.get("/api/v1/me"), 401)


async def test_logout_revokes_only_that_token(client: httpx.AsyncClient, maker: Maker) -> None:
    email = await _staff(maker)
    login = StaffLogin(email, PASSWORD)
    first = (await login.enrol(client))["access_token"]
    second = (await login.login(client))["access_token"]
    assert (await _me(client, first)).status_code == 200

    r = await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {first}"})
    assert r.status_code == 204
    assert r.content == b""

    _assert_problem(await _me(client, first), 401)
    _assert_problem(
        await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {first}"}), 401
    )
    assert (await _me(client, second)).status_code == 200

    async with maker() as session:
        revoked = (await session.scalars(select(ApiToken).where(ApiToken.revoked_at.is_not(None)))).all()
    assert [t.token_hash for t in revoked] == [hashlib.sha256(first.encode()).hexdigest()]


async def test_logout_without_token_is_401(client: httpx.AsyncClient) -> None:
    _assert_problem(await client.post("/api/v1/auth/logout"), 401)


async def test_resident_logout(client: httpx.AsyncClient, actors: Actors) -> None:
    headers = await actors.resident()
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    _assert_problem(await client.get("/api/v1/me", headers=headers), 401)


@pytest.mark.parametrize(
    "header",
    ["Token abc", "Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "bearer", "abc"],
)
async def test_malformed_authorization_is_401_with_challenge(client: httpx.AsyncClient, header: str) -> None:
    r = await client.get("/api/v1/me", headers={"Authorization": header})
    _assert_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_malformed_authorization_is_refused_even_on_public_endpoints(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/reports", headers={"Authorization": "Token abc"})
    _assert_problem(r, 401)
    assert "www-authenticate" in r.headers


@pytest.mark.parametrize("token", ["cds_not-a-real-token", "x" * 43, "Bearer"])
async def test_unknown_token_is_401_invalid_token(client: httpx.AsyncClient, token: str) -> None:
    r = await _me(client, token)
    _assert_problem(r, 401)
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith("Bearer") and "invalid_token" in challenge


async def test_bearer_scheme_is_case_insensitive(client: httpx.AsyncClient, actors: Actors) -> None:
    headers = await actors.resident()
    token = headers["Authorization"].split(" ", 1)[1]
    assert (await client.get("/api/v1/me", headers={"Authorization": f"bearer {token}"})).status_code == 200


async def test_expired_token_is_401(client: httpx.AsyncClient, actors: Actors, maker: Maker) -> None:
    headers = await actors.resident()
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    async with maker() as session, session.begin():
        await session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    r = await client.get("/api/v1/me", headers=headers)
    _assert_problem(r, 401)
    assert "invalid_token" in r.headers["www-authenticate"]


async def test_tokens_are_stored_hashed(client: httpx.AsyncClient, actors: Actors, maker: Maker) -> None:
    resident = (await actors.resident())["Authorization"].split(" ", 1)[1]
    staff = (await actors.staff("coordinator"))["Authorization"].split(" ", 1)[1]
    async with maker() as session:
        rows = (await session.execute(select(ApiToken.__table__))).all()
    assert len(rows) == 2
    stored = " ".join(str(value) for row in rows for value in row)
    for raw in (resident, staff):
        assert raw not in stored
        assert raw.split("_", 1)[1] not in stored
    assert {row.token_hash for row in rows} == {
        hashlib.sha256(raw.encode()).hexdigest() for raw in (resident, staff)
    }


# ---- language of errors ----------------------------------------------------------------------


async def test_errors_are_vietnamese_by_default(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/me", headers={"Authorization": "Bearer cds_nope"})
    assert _assert_problem(r, 401)["title"] == "Cần đăng nhập"
    v = _assert_problem(await _request(client, phone="12"), 422)
    assert v["title"] == "Dữ liệu gửi lên không hợp lệ"
    assert v["errors"][0]["message"] == "Số điện thoại không hợp lệ."


@pytest.mark.parametrize("accept", ["en", "en-US,en;q=0.9", "fr-FR, en;q=0.5", "vi;q=0.2, en;q=0.8"])
async def test_errors_in_english_when_asked(client: httpx.AsyncClient, accept: str) -> None:
    vi = await client.get("/api/v1/me", headers={"Authorization": "Bearer cds_nope"})
    en = await client.get(
        "/api/v1/me", headers={"Authorization": "Bearer cds_nope", "Accept-Language": accept}
    )
    vi_body, en_body = _assert_problem(vi, 401), _assert_problem(en, 401)
    assert en_body["title"] != vi_body["title"]
    assert en_body["title"].isascii() and en_body["detail"].isascii()
    assert en_body["type"] == vi_body["type"]

    invalid = await client.post(
        "/api/v1/auth/code", json={"phone": "12"}, headers={"Accept-Language": accept}
    )
    problem = _assert_problem(invalid, 422)
    assert problem["title"].isascii()
    assert problem["errors"][0]["field"] == "phone"
    assert problem["errors"][0]["message"].isascii()


async def test_vietnamese_preferred_over_english(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/api/v1/me", headers={"Authorization": "Bearer cds_nope", "Accept-Language": "vi, en;q=0.5"}
    )
    assert _assert_problem(r, 401)["title"] == "Cần đăng nhập"
