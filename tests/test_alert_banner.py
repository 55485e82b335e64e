"""The emergency-alert banner on residents' pages, and the news pages in the residents' layout."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.auth.browser import SESSION_PREFIX
from congdan.config import Settings
from congdan.db import utcnow
from congdan.kit.codes import new_secret, sha256_hex
from congdan.models import Area, ResidentSession
from congdan.web import alerts
from tests.conftest import Actors

Maker = async_sessionmaker[AsyncSession]


@pytest.fixture(autouse=True)
def _fresh_banner() -> Iterator[None]:
    alerts.clear_cache()
    yield
    alerts.clear_cache()


async def signed_in_browser(maker: Maker, settings: Settings, account_id: uuid.UUID) -> dict[str, str]:
    """The cookie of a browser where this resident signed in."""
    raw = new_secret(SESSION_PREFIX)
    now = utcnow()
    async with maker() as session, session.begin():
        session.add(
            ResidentSession(
                account_id=account_id,
                token_hash=sha256_hex(raw),
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(days=1),
            )
        )
    return {settings.session_cookie_name: raw}


async def _alert(
    client: httpx.AsyncClient, actors: Actors, title: str, units: list[str] | None = None
) -> str:
    coordinator = await actors.staff("coordinator")
    body = {
        "alert_type": "flood_tide",
        "title": title,
        "body": "Triều cường dâng cao tối nay.",
        "units": units or [],
    }
    r = await client.post("/api/v1/alerts", json=body, headers=coordinator)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_city_alerts_show_on_every_residents_page(client: httpx.AsyncClient, actors: Actors) -> None:
    aid = await _alert(client, actors, "Triều cường đỉnh 1,8 m tối nay")
    for path in ("/ban-do", "/theo-doi", "/tin-tuc"):
        html = (await client.get(path)).text
        assert 'class="alert" role="alert"' in html, path
        assert f'href="/tin-tuc/{aid}"' in html and "Triều cường đỉnh 1,8 m tối nay" in html, path
    item = await client.get(f"/tin-tuc/{aid}")
    assert item.status_code == 200 and 'class="alert-tag"' in item.text
    # The layout carries no inline style: the CSP would refuse it.
    assert "style=" not in item.text and "style=" not in (await client.get("/tin-tuc")).text


async def test_a_units_alert_shows_only_to_residents_of_that_unit(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, settings: Settings
) -> None:
    async with maker() as s:
        here, elsewhere = (await s.scalars(select(Area.code).order_by(Area.code).limit(2))).all()
    await _alert(client, actors, "Cắt điện khu vực phường", units=[here])
    resident = await actors.resident()
    me = uuid.UUID((await client.get("/api/v1/me", headers=resident)).json()["id"])
    put = await client.put("/api/v1/me/subscriptions", json={"units": [here]}, headers=resident)
    assert put.status_code == 200, put.text
    cookies = await signed_in_browser(maker, settings, me)

    assert "Cắt điện khu vực phường" not in (await client.get("/ban-do")).text  # nobody known
    client.cookies.update(cookies)
    try:
        assert "Cắt điện khu vực phường" in (await client.get("/ban-do")).text
    finally:
        client.cookies.clear()
    other = await actors.resident()
    await client.put("/api/v1/me/subscriptions", json={"units": [elsewhere]}, headers=other)
    other_id = uuid.UUID((await client.get("/api/v1/me", headers=other)).json()["id"])
    client.cookies.update(await signed_in_browser(maker, settings, other_id))
    try:
        assert "Cắt điện khu vực phường" not in (await client.get("/ban-do")).text
    finally:
        client.cookies.clear()


async def test_a_withdrawn_alert_leaves_the_banner(client: httpx.AsyncClient, actors: Actors) -> None:
    aid = await _alert(client, actors, "Bão số 9 đổ bộ")
    assert "Bão số 9 đổ bộ" in (await client.get("/theo-doi")).text
    coordinator = await actors.staff("coordinator")
    withdrawn = await client.post(f"/api/v1/announcements/{aid}/withdraw", headers=coordinator)
    assert withdrawn.status_code in (200, 204), withdrawn.text
    alerts.clear_cache()  # the banner is kept a few seconds; a new read sees the withdrawal
    assert "Bão số 9 đổ bộ" not in (await client.get("/theo-doi")).text


async def test_news_pages_use_the_residents_layout_and_remember_the_language(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/tin-tuc")
    assert page.status_code == 200 and 'href="/static/app.css"' in page.text
    assert '<a href="/tin-tuc" aria-current="page">' in page.text
    english = await client.get("/tin-tuc", params={"lang": "en"})
    assert '<html lang="en">' in english.text and "News and notices" in english.text
    assert "congdan_lang=en" in english.headers.get("set-cookie", "")
    partial = await client.get("/tin-tuc", headers={"HX-Request": "true"})
    assert "<html" not in partial.text and "<h1>" in partial.text
