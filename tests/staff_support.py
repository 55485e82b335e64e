"""Staff sign-in for tests, done the way a staff member does it: the password, a TOTP secret
enrolled through the API, codes computed from that secret with pyotp."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyotp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff

STEP = 30


def code_at(secret: str, step: int) -> str:
    return str(pyotp.TOTP(secret).at(step * STEP))


def step_now(now: float | None = None) -> int:
    return int(time.time() if now is None else now) // STEP


@dataclass
class StaffLogin:
    """One enrolled staff account: every `login` uses a step not used before (the window allows
    the steps either side of now), so several sign-ins within 30 seconds still work."""

    email: str
    password: str
    secret: str = ""
    recovery_codes: list[str] = field(default_factory=list)
    last_step: int | None = None

    def fresh_code(self, now: float | None = None) -> str:
        current = step_now(now)
        step = current - 1 if self.last_step is None else max(current - 1, self.last_step + 1)
        if now is None and step == current - 1 and time.time() % STEP > STEP - 3:
            # The step before now stays valid only until the server's clock reaches the next
            # boundary; a sign-in slowed by a busy machine would arrive after it. Start afresh there.
            time.sleep(STEP - time.time() % STEP + 0.05)
            return self.fresh_code()
        assert step <= current + 1, "no unused step left in the window; wait or use a recovery code"
        self.last_step = step
        return code_at(self.secret, step)

    async def enrol(self, client: httpx.AsyncClient) -> dict[str, Any]:
        credentials = {"email": self.email, "password": self.password}
        r = await client.post("/api/v1/auth/login/enrol", json=credentials)
        assert r.status_code == 200, r.text
        self.secret = r.json()["secret"]
        body = await self.login(client)
        self.recovery_codes = list(body["recovery_codes"])
        return body

    async def login(self, client: httpx.AsyncClient) -> dict[str, Any]:
        payload = {"email": self.email, "password": self.password, "totp": self.fresh_code()}
        r = await client.post("/api/v1/auth/login", json=payload)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        body = await (self.login(client) if self.secret else self.enrol(client))
        return {"Authorization": f"Bearer {body['access_token']}"}


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r'<code id="secret" class="secret">([A-Z2-7 ]+)</code>')
RECOVERY = re.compile(r"<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})</code></li>")


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form token"
    return found.group(1)


async def page_sign_in(
    client: httpx.AsyncClient, login: StaffLogin, *, now: float | None = None, next_page: str = "/staff/"
) -> httpx.Response:
    """Signs in on the workbench pages as a browser does (the client keeps the cookies): the
    password, then the code, enrolling on the first sign-in. Returns the answer to the code."""
    page = await client.get("/staff/")
    r = await client.post(
        "/staff/dang-nhap",
        data={
            "csrf_token": csrf_of(page.text),
            "email": login.email,
            "password": login.password,
            "next": next_page,
        },
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/staff/xac-thuc")
    factor = await client.get(r.headers["location"])
    assert factor.status_code == 200, factor.text
    shown = SECRET.search(factor.text)
    if shown:
        login.secret = shown.group(1).replace(" ", "")
        login.last_step = None
    answer = await client.post(
        "/staff/xac-thuc",
        data={"csrf_token": csrf_of(factor.text), "code": login.fresh_code(now), "next": next_page},
    )
    if shown:
        assert answer.status_code == 200, answer.text
        login.recovery_codes = RECOVERY.findall(answer.text)
    return answer


async def make_staff(
    maker: async_sessionmaker[AsyncSession], role: str = "agency_officer", agency: str | None = "so_xay_dung"
) -> StaffLogin:
    """A new staff account with the tests' password, not yet signed in."""
    from tests.conftest import PASSWORD  # conftest imports this module

    email = f"canbo.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(session, email=email, password=PASSWORD, role=role, agency_code=agency)
    return StaffLogin(email, PASSWORD)
