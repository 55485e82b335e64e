"""Following a report from its page: a button for a signed-in resident (a form post with the CSRF
field), a sign-in link that comes back here for anyone else."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.models import ReportFollower
from tests.conftest import Actors, submit
from tests.test_alert_banner import signed_in_browser

Maker = async_sessionmaker[AsyncSession]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def test_anonymous_visitors_are_offered_to_sign_in_and_come_back(client: httpx.AsyncClient) -> None:
    report = await submit(client)
    code = report["tracking_code"]
    html = (await client.get(f"/theo-doi/{code}")).text
    assert (
        f'<a class="button" href="/dang-nhap?next=/theo-doi/{code}">Đăng nhập để theo dõi phản ánh này</a>'
        in html
    )
    assert f'action="/theo-doi/{code}/theo-doi"' not in html
    private = await submit(client, visibility="private")
    assert "Đăng nhập để theo dõi" not in (await client.get(f"/theo-doi/{private['tracking_code']}")).text


async def test_a_signed_in_resident_follows_and_unfollows(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, settings: Settings
) -> None:
    report = await submit(client)
    code = report["tracking_code"]
    resident = await actors.resident()
    me = uuid.UUID((await client.get("/api/v1/me", headers=resident)).json()["id"])
    client.cookies.update(await signed_in_browser(maker, settings, me))
    try:
        page = (await client.get(f"/theo-doi/{code}")).text
        assert 'name="action" value="follow"' in page and "Đăng nhập để theo dõi" not in page
        refused = await client.post(f"/theo-doi/{code}/theo-doi", data={"action": "follow"})
        assert refused.status_code == 403  # no CSRF token: nothing is written
        sent = await client.post(
            f"/theo-doi/{code}/theo-doi", data={"action": "follow", "csrf_token": _csrf(page)}
        )
        assert sent.status_code == 303 and sent.headers["location"] == f"/theo-doi/{code}"
        async with maker() as s:
            rows = (await s.scalars(select(ReportFollower).where(ReportFollower.account_id == me))).all()
        assert [str(r.report_id) for r in rows] == [report["id"]]
        page = (await client.get(f"/theo-doi/{code}")).text
        assert 'name="action" value="unfollow"' in page
        gone = await client.post(
            f"/theo-doi/{code}/theo-doi", data={"action": "unfollow", "csrf_token": _csrf(page)}
        )
        assert gone.status_code == 303
        async with maker() as s:
            assert (
                await s.scalars(select(ReportFollower).where(ReportFollower.account_id == me))
            ).all() == []
    finally:
        client.cookies.clear()


async def test_the_api_follow_still_keeps_its_rules(client: httpx.AsyncClient, actors: Actors) -> None:
    private = await submit(client, visibility="private")
    resident = await actors.resident()
    assert (await client.put(f"/api/v1/reports/{private['id']}/follow", headers=resident)).status_code == 404
    assert (await client.put(f"/api/v1/reports/{private['id']}/follow")).status_code == 401
    public = await submit(client)
    assert (await client.put(f"/api/v1/reports/{public['id']}/follow", headers=resident)).status_code == 204
    assert (
        await client.delete(f"/api/v1/reports/{public['id']}/follow", headers=resident)
    ).status_code == 204
