"""Someone who knows a staff member's email or a resident's phone cannot lock them out: sign-in
limits count per (account, client address) before the account's own ceiling, a new code request
does not cancel a code in its first minute, and an administrator can unlock an account."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from congdan.app import create_app
from congdan.config import Settings
from congdan.models import AuditEntry
from tests.conftest import PASSWORD, TEST_DATA_KEY, Actors
from tests.live_server import congdan_script
from tests.staff_support import StaffLogin

Client = Callable[[str], httpx.AsyncClient]


async def _app(settings: Settings, rules: dict[str, str]) -> Any:
    s = settings.model_copy(
        update={
            "rate_limits_enabled": True,
            "rate_limits": rules,
            "rate_limit_key_prefix": f"congdan-test-{uuid.uuid4().hex}",
        }
    )
    return create_app(s, run_worker=False)


@pytest_asyncio.fixture
async def default_limits(settings: Settings) -> AsyncIterator[Any]:
    app = await _app(settings, {})
    async with app.router.lifespan_context(app):
        yield app


def _from(app: Any) -> Client:
    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    return make


async def _staff_email(app: Any) -> str:
    email = f"giamdoc.{uuid.uuid4().hex[:8]}@example.vn"
    async with app.state.sessionmaker() as session, session.begin():
        await create_staff(
            session, email=email, password=PASSWORD, role="agency_manager", agency_code="so_xay_dung"
        )
    return email


async def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(default_limits: Any) -> None:
    email = await _staff_email(default_limits)
    client_from = _from(default_limits)
    async with client_from("10.66.0.1") as attacker:
        statuses = [
            (
                await attacker.post("/api/v1/auth/login", json={"email": email, "password": "doan-thu"})
            ).status_code
            for _ in range(12)
        ]
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}
    async with client_from("10.66.0.2") as owner:
        await StaffLogin(email, PASSWORD).enrol(owner)


async def test_code_requests_for_someone_else_neither_cancel_nor_block_their_code(
    default_limits: Any, settings: Settings
) -> None:
    phone = f"+8498{uuid.uuid4().int % 10_000_000:07d}"
    client_from = _from(default_limits)
    async with client_from("10.67.0.1") as owner, client_from("10.67.0.2") as attacker:
        actors = Actors(owner, default_limits.state.sessionmaker, settings)
        assert (await owner.post("/api/v1/auth/code", json={"phone": phone})).status_code == 202
        code = await actors.latest_code(phone)
        statuses = [
            (await attacker.post("/api/v1/auth/code", json={"phone": phone})).status_code for _ in range(4)
        ]
        assert statuses == [202, 202, 202, 429]
        # Nothing new was sent during the first minute, so the owner's code is still the one.
        assert await actors.latest_code(phone) == code
        r = await owner.post("/api/v1/auth/code/verify", json={"phone": phone, "code": code})
        assert r.status_code == 200, r.text
        # And the owner can still ask for another code from their own address.
        assert (await owner.post("/api/v1/auth/code", json={"phone": phone})).status_code == 202


async def test_wrong_codes_from_one_address_do_not_block_the_owners_verification(
    default_limits: Any, settings: Settings
) -> None:
    phone = f"+8498{uuid.uuid4().int % 10_000_000:07d}"
    client_from = _from(default_limits)
    async with client_from("10.68.0.1") as owner, client_from("10.68.0.2") as attacker:
        actors = Actors(owner, default_limits.state.sessionmaker, settings)
        assert (await owner.post("/api/v1/auth/code", json={"phone": phone})).status_code == 202
        code = await actors.latest_code(phone)
        wrong = "000000" if code != "000000" else "111111"
        statuses = [
            (
                await attacker.post("/api/v1/auth/code/verify", json={"phone": phone, "code": wrong})
            ).status_code
            for _ in range(12)
        ]
        assert statuses[:10] == [401] * 10
        assert set(statuses[10:]) == {429}
        # The guesses used up that code's attempts; a new code replaces it at once and works from
        # the owner's address.
        assert (await owner.post("/api/v1/auth/code", json={"phone": phone})).status_code == 202
        fresh = await actors.latest_code(phone)
        r = await owner.post("/api/v1/auth/code/verify", json={"phone": phone, "code": fresh})
        assert r.status_code == 200, r.text


def _cli_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGDAN_")}
    env |= {
        "CONGDAN_DATA_DIR": str(settings.data_dir),
        "CONGDAN_SECRET_KEY": "test-secret-key",
        "CONGDAN_DATA_KEY": TEST_DATA_KEY,
    }
    if settings.database_url:
        env["CONGDAN_DATABASE_URL"] = settings.database_url
    return env


def _unlock(settings: Settings, email: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [congdan_script(), "user", "unlock", "--email", email],
        capture_output=True,
        text=True,
        env=_cli_env(settings),
        timeout=120,
        check=False,
    )


async def test_an_administrator_unlocks_an_account_and_it_is_audited(settings: Settings) -> None:
    # Small ceilings so that addresses spread over a botnet are played by three.
    app = await _app(settings, {"login_target": "3/hour"})
    async with app.router.lifespan_context(app):
        email = await _staff_email(app)
        client_from = _from(app)
        login = StaffLogin(email, PASSWORD)
        async with client_from("10.69.1.1") as owner:
            await login.enrol(owner)
        for i in range(3):
            async with client_from(f"10.69.0.{i}") as attacker:
                r = await attacker.post("/api/v1/auth/login", json={"email": email, "password": "doan-thu"})
                assert r.status_code == 401
        async with client_from("10.69.1.1") as owner:
            r = await owner.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            assert r.status_code == 429

        result = await asyncio.to_thread(_unlock, settings, email)
        assert result.returncode == 0, result.stderr
        assert "Đã mở khóa" in result.stdout

        async with client_from("10.69.1.1") as owner:
            body = await login.login(owner)
        account_id = body["account_id"]
        maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
        async with maker() as session:
            actions = (
                await session.scalars(
                    select(AuditEntry.action)
                    .where(AuditEntry.subject_id == account_id)
                    .order_by(AuditEntry.seq)
                )
            ).all()
        assert "auth.unlocked" in actions
        # The lock the three addresses closed is in the log too, before the unlock.
        assert actions.index("auth.locked") < actions.index("auth.unlocked")
        assert actions[-1] == "auth.staff_login"


async def test_unlocking_an_unknown_email_says_so(settings: Settings) -> None:
    result = await asyncio.to_thread(_unlock, settings, f"khong.co.{uuid.uuid4().hex[:6]}@example.vn")
    assert result.returncode == 1
    assert "Không có tài khoản cán bộ" in result.stderr


@pytest.mark.parametrize(
    "rule", ["login_target_client", "auth_code_target_client", "auth_verify_target_client"]
)
def test_per_address_rules_exist_and_can_be_set(settings: Settings, rule: str) -> None:
    from congdan.security.ratelimit import RateLimiter

    limiter = RateLimiter(settings.model_copy(update={"rate_limits": {rule: "1/minute"}}))
    assert [str(item) for item in limiter.rules[rule]] == ["1 per 1 minute"]
