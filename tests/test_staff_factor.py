"""Staff second factor through the JSON API: enrolment, replay, recovery codes, locks per factor,
the owner's way back, and the administrator's reset."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pyotp
import pytest_asyncio
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from congdan.app import create_app
from congdan.auth import staff
from congdan.authz.policy import ADMIN
from congdan.config import Settings
from congdan.models import Account, AuditEntry, RecoveryCode
from tests.conftest import PASSWORD
from tests.staff_support import StaffLogin, code_at, step_now

Maker = async_sessionmaker[AsyncSession]


async def _staff(maker: Maker, role: str = "agency_officer", agency: str | None = "so_xay_dung") -> str:
    email = f"canbo.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role=role, agency_code=agency)
    return email


async def _actions(maker: Maker, account_id: str) -> list[tuple[str, str]]:
    async with maker() as session:
        rows = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.details)
                .where(AuditEntry.subject_id == account_id)
                .order_by(AuditEntry.seq)
            )
        ).all()
    return [(action, details) for action, details in rows]


async def _login(client: httpx.AsyncClient, email: str, **extra: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD, **extra})


async def test_enrolment_is_standard_totp_and_the_secret_is_sealed(
    client: httpx.AsyncClient, maker: Maker, is_postgres: bool
) -> None:
    email = await _staff(maker)
    r = await client.post("/api/v1/auth/login/enrol", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    enrolment = r.json()
    assert (enrolment["digits"], enrolment["period"], enrolment["issuer"]) == (6, 30, "Công dân số")
    parsed = pyotp.parse_uri(enrolment["otpauth_uri"])
    assert parsed.secret == enrolment["secret"] and parsed.issuer == "Công dân số"
    assert parsed.name == email and parsed.digest().name == "sha1"

    # Pending: a code is needed, and the first one confirms it and brings ten recovery codes.
    assert (await _login(client, email)).json()["type"] == "/problems/second-factor-required"
    body = (await _login(client, email, totp=pyotp.TOTP(enrolment["secret"]).now())).json()
    assert len(set(body["recovery_codes"])) == 10
    async with maker() as session:
        stored = (await session.execute(text("SELECT secret FROM staff_factors"))).scalar_one()
        hashes = (await session.scalars(select(RecoveryCode.code_hash))).all()
    assert stored.startswith("cd1:") and enrolment["secret"] not in stored
    assert not set(body["recovery_codes"]) & set(hashes)
    actions = [a for a, _d in await _actions(maker, body["account_id"])]
    assert actions == ["account.created", "auth.factor_enrolled", "auth.staff_login"]

    # Enrolled: a second enrolment is refused, and later sign-ins bring no codes.
    again = await client.post("/api/v1/auth/login/enrol", json={"email": email, "password": PASSWORD})
    assert again.status_code == 409
    later = await _login(client, email, totp=code_at(enrolment["secret"], step_now() + 1))
    assert later.status_code == 200 and later.json()["recovery_codes"] is None


async def test_a_used_code_and_older_ones_are_refused(client: httpx.AsyncClient, maker: Maker) -> None:
    login = StaffLogin(await _staff(maker), PASSWORD)
    await login.enrol(client)  # used the step before now
    current = step_now()
    assert (await _login(client, login.email, totp=code_at(login.secret, current))).status_code == 200
    replay = await _login(client, login.email, totp=code_at(login.secret, current))
    assert replay.status_code == 401 and "đã được dùng" in replay.json()["detail"]
    older = await _login(client, login.email, totp=code_at(login.secret, current - 1))
    assert older.status_code == 401
    # Outside the window either side: refused although never used.
    far = await _login(client, login.email, totp=code_at(login.secret, current + 3))
    assert far.status_code == 401
    assert (await _login(client, login.email, totp=code_at(login.secret, current + 1))).status_code == 200


async def test_a_recovery_code_signs_in_once(client: httpx.AsyncClient, maker: Maker) -> None:
    login = StaffLogin(await _staff(maker), PASSWORD)
    await login.enrol(client)
    code = login.recovery_codes[0]
    first = await _login(client, login.email, recovery_code=code.lower().replace("-", " "))
    assert first.status_code == 200, first.text
    assert (await _login(client, login.email, recovery_code=code)).status_code == 401
    # The right code with a wrong password is refused in the same words as a wrong code.
    wrong = await client.post(
        "/api/v1/auth/login",
        json={"email": login.email, "password": "sai", "recovery_code": login.recovery_codes[1]},
    )
    spent = await _login(client, login.email, recovery_code=code)
    assert wrong.json()["detail"] == spent.json()["detail"]
    assert (await _login(client, login.email, recovery_code=login.recovery_codes[1])).status_code == 200
    vias = [d for a, d in await _actions(maker, first.json()["account_id"]) if a == "auth.staff_login"]
    assert ['"via":"recovery_code"' in d for d in vias] == [False, True, True]


async def test_an_administrator_reset_makes_the_next_sign_in_enrol_and_is_audited(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    login = StaffLogin(await _staff(maker), PASSWORD)
    body = await login.enrol(client)
    account_id = uuid.UUID(body["account_id"])
    admin = await _staff(maker, role=ADMIN, agency=None)
    async with maker() as session, session.begin():
        actor = (await session.scalars(select(Account).where(Account.email == admin))).one()
        from congdan.authz.policy import account_principal

        await staff.reset_factor(session, account_principal(actor), account_id)
    # The old secret and recovery codes are gone; the next sign-in enrols again.
    assert (await _login(client, login.email, totp=login.fresh_code())).status_code == 401
    assert (await _login(client, login.email, recovery_code=login.recovery_codes[0])).status_code == 401
    await StaffLogin(login.email, PASSWORD).enrol(client)
    async with maker() as session:
        reset = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "auth.factor_reset", AuditEntry.subject_id == str(account_id)
                )
            )
        ).one()
    assert reset.actor_id == actor.id and reset.actor_role == ADMIN


# ---- locks ------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def limited(settings: Settings) -> AsyncIterator[Any]:
    rules = {"login_target": "3/hour", "totp_target_client": "3/hour", "totp_target": "5/hour"}
    s = settings.model_copy(
        update={"rate_limits_enabled": True, "rate_limits": rules, "rate_limit_key_prefix": uuid.uuid4().hex}
    )
    app = create_app(s, run_worker=False)
    async with app.router.lifespan_context(app):
        yield app


def _from(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_wrong_codes_lock_the_second_factor_alone_and_the_lock_is_audited(limited: Any) -> None:
    maker = limited.state.sessionmaker
    login = StaffLogin(await _staff(maker), PASSWORD)
    async with _from(limited, "10.70.0.1") as owner:
        body = await login.enrol(owner)
        wrong = "000000" if login.fresh_code() != "000000" else "111111"
        statuses = [(await _login(owner, login.email, totp=wrong)).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        # Locked for this address even with the right code …
        locked = await _login(owner, login.email, totp=login.fresh_code())
        assert locked.status_code == 429 and locked.json()["type"] == "/problems/account-locked"
        # … but the password is counted apart: it is still accepted, and asks for the code.
        assert (await _login(owner, login.email)).json()["type"] == "/problems/second-factor-required"
    async with _from(limited, "10.70.0.2") as elsewhere:
        # Only the enrolling code was ever accepted, so the current one is unused.
        r = await _login(elsewhere, login.email, totp=code_at(login.secret, step_now()))
        assert r.status_code == 200
    actions = await _actions(maker, body["account_id"])
    failed = [d for a, d in actions if a == "auth.staff_login_failed"]
    assert failed == ['{"factor":"totp"}'] * 3
    assert [d for a, d in actions if a == "auth.locked"] == ['{"factor":"totp","scope":"client"}']


async def test_a_locked_out_owner_gets_back_in_with_a_recovery_code(limited: Any) -> None:
    maker = limited.state.sessionmaker
    login = StaffLogin(await _staff(maker), PASSWORD)
    async with _from(limited, "10.71.1.1") as owner:
        body = await login.enrol(owner)
    for i in range(3):
        async with _from(limited, f"10.71.0.{i}") as attacker:
            assert (
                await attacker.post("/api/v1/auth/login", json={"email": login.email, "password": "x"})
            ).status_code == 401
    async with _from(limited, "10.71.1.1") as owner:
        assert (await _login(owner, login.email, totp=login.fresh_code())).status_code == 429
        # Guessing recovery codes from elsewhere does not close the owner's way back.
        async with _from(limited, "10.71.0.9") as attacker:
            for _ in range(6):
                await attacker.post(
                    "/api/v1/auth/login",
                    json={"email": login.email, "password": "x", "recovery_code": "AAAAA-AAAAA"},
                )
        back = await _login(owner, login.email, recovery_code=login.recovery_codes[0])
        assert back.status_code == 200, back.text
        # Getting back in unlocked the account: the password and code work again.
        assert (await _login(owner, login.email, totp=login.fresh_code())).status_code == 200
    actions = [(a, d) for a, d in await _actions(maker, body["account_id"])]
    names = [a for a, _d in actions]
    assert names.index("auth.locked") < names.index("auth.unlocked")
    assert ("auth.unlocked", '{"by":"recovery_code"}') in actions
