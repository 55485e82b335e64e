"""Notifications on this device, offered on the result screen after a signed-in resident's first
report: the offer is in the page only then (and only when web push is set up), and the
subscription the page's script posts is stored for that resident, with bad input refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import httpx
import pytest
from py_vapid import Vapid02
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.models import Account, PushSubscription
from tests.conftest import BEN_THANH, Actors
from tests.resident_pages_support import csrf_of, sign_in

Maker = async_sessionmaker[AsyncSession]
PHONE = "0905 111 222"
E164 = "+84905111222"
PUSH_PATH = "/cua-toi/thiet-bi/thong-bao"


@pytest.fixture
def push_set_up(app: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    vapid = Vapid02()
    vapid.generate_keys()
    wired = settings.model_copy(update={"vapid_private_key": vapid.private_pem().decode()})
    monkeypatch.setattr(app.state, "settings", wired)
    yield


def _subscription(endpoint: str = "https://push.example.net/send/abc123") -> dict[str, Any]:
    return {
        "endpoint": endpoint,
        "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQ", "auth": "tBHItJI5svbpez7KI4CCXg"},
    }


async def _send_from_the_page(client: httpx.AsyncClient, description: str) -> httpx.Response:
    """Sends the report screen's form as a browser without JavaScript does; the result screen."""
    page = await client.get("/gui-phan-anh")
    key = re.search(r'name="idempotency_key" value="([^"]*)"', page.text)
    assert key is not None
    fields = {
        "csrf_token": csrf_of(page.text),
        "idempotency_key": unescape(key.group(1)),
        "kind": "report",
        "description": description,
        "lat": str(BEN_THANH["lat"]),
        "long": str(BEN_THANH["long"]),
    }
    sent = await client.post(
        "/gui-phan-anh", data=fields, files=[("photo", ("", b"", "application/octet-stream"))]
    )
    assert sent.status_code == 303, sent.text
    result = await client.get(sent.headers["location"])
    assert result.status_code == 200
    return result


def _offer_csrf(html: str) -> str:
    found = re.search(r'id="push-offer"[^>]*data-csrf="([^"]+)"', html, re.S)
    assert found is not None, "no offer on the page"
    return unescape(found.group(1))


async def _subscriptions(maker: Maker) -> list[tuple[str, Any]]:
    async with maker() as session:
        rows = (await session.scalars(select(PushSubscription))).all()
        return [(r.endpoint, r.account_id) for r in rows]


@pytest.mark.usefixtures("push_set_up")
async def test_the_first_report_offers_notifications_and_the_subscription_is_the_residents(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    await sign_in(client, actors, PHONE, next_url="/gui-phan-anh")
    first = await _send_from_the_page(client, "Ổ gà sâu giữa đường Lê Lợi, xe máy dễ té.")
    assert "Nhận thông báo trên thiết bị này?" in first.text
    # Hidden in the page: the script shows it only where the browser can take push messages.
    assert re.search(r'<section id="push-offer"[^>]*\shidden[\s>]', first.text)
    r = await client.post(PUSH_PATH, json=_subscription(), headers={"X-CSRF-Token": _offer_csrf(first.text)})
    assert r.status_code == 204, r.text
    async with maker() as session:
        resident = await session.scalar(select(Account).where(Account.phone == E164))
    assert resident is not None
    assert await _subscriptions(maker) == [("https://push.example.net/send/abc123", resident.id)]

    second = await _send_from_the_page(client, "Đèn đường tắt cả tuần trước chợ Bến Thành.")
    assert "push-offer" not in second.text


@pytest.mark.usefixtures("push_set_up")
async def test_a_bad_or_unsigned_subscription_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    await sign_in(client, actors, PHONE, next_url="/gui-phan-anh")
    csrf = _offer_csrf((await _send_from_the_page(client, "Nắp cống vỡ trước số 3 Pasteur.")).text)
    headers = {"X-CSRF-Token": csrf}
    not_a_url = await client.post(PUSH_PATH, json=_subscription("not-a-push-service"), headers=headers)
    assert not_a_url.status_code == 422
    assert not_a_url.headers["content-type"].startswith("application/problem+json")
    no_keys = await client.post(PUSH_PATH, json={"endpoint": "https://push.example.net/x"}, headers=headers)
    assert no_keys.status_code == 422
    assert (await client.post(PUSH_PATH, json=_subscription())).status_code == 403  # no CSRF token
    assert await _subscriptions(maker) == []


@pytest.mark.usefixtures("push_set_up")
async def test_nobody_signed_in_gets_no_offer_and_cannot_subscribe(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    result = await _send_from_the_page(client, "Rác đổ trộm ở góc đường Nguyễn Huệ.")
    assert "push-offer" not in result.text
    csrf = csrf_of((await client.get("/gui-phan-anh")).text)
    r = await client.post(PUSH_PATH, json=_subscription(), headers={"X-CSRF-Token": csrf})
    assert r.status_code == 303 and r.headers["location"].startswith("/dang-nhap")
    assert await _subscriptions(maker) == []


async def test_without_web_push_set_up_there_is_no_offer(client: httpx.AsyncClient, actors: Actors) -> None:
    await sign_in(client, actors, PHONE, next_url="/gui-phan-anh")
    result = await _send_from_the_page(client, "Cây đổ chắn lối vào công viên Tao Đàn.")
    assert "push-offer" not in result.text
