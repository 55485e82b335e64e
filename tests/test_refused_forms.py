"""A refused form is the answer to its POST: a 4xx status, the error next to its field and what was
typed kept, nothing stored; sent by HTMX, the answer tells it to leave the browser's address and
history as they are, and a plain post (no JavaScript) gets the whole page without those headers."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.models import OtpChallenge, Report
from tests.conftest import Actors
from tests.resident_pages_support import csrf_of, sign_in

Maker = async_sessionmaker[AsyncSession]
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://test/gui-phan-anh"}


def _error(html: str, field: str) -> str:
    found = re.search(
        rf'<p (?:class="error" id="{field}-error"|id="{field}-error" class="error")[^>]*>([^<]+)</p>', html
    )
    assert found is not None, f"no error next to {field}"
    return unescape(found.group(1))


def _stays(response: httpx.Response, *, htmx: bool) -> None:
    if htmx:
        assert response.headers["HX-Push-Url"] == "false"
        assert response.headers["HX-Replace-Url"] == "false"
        assert "<html" not in response.text  # the page's main block only
    else:
        assert "HX-Push-Url" not in response.headers and "HX-Replace-Url" not in response.headers
        assert "<html" in response.text


async def _count(maker: Maker, model: type) -> int:
    async with maker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("htmx", [False, True])
async def test_a_refused_report_form(client: httpx.AsyncClient, maker: Maker, htmx: bool) -> None:
    page = await client.get("/gui-phan-anh")
    fields = {"csrf_token": csrf_of(page.text), "kind": "report", "description": "  ", "address": "12 Lê Lợi"}
    r = await client.post(
        "/gui-phan-anh",
        data=fields,
        files=[("photo", ("", b"", "application/octet-stream"))],
        headers=HTMX if htmx else {},
    )
    assert r.status_code == 422
    assert "Hãy viết vài lời" in _error(r.text, "description")
    assert 'value="12 Lê Lợi"' in r.text
    _stays(r, htmx=htmx)
    assert await _count(maker, Report) == 0


@pytest.mark.parametrize("htmx", [False, True])
async def test_a_refused_sign_in(client: httpx.AsyncClient, maker: Maker, htmx: bool) -> None:
    page = await client.get("/dang-nhap")
    r = await client.post(
        "/dang-nhap/gui-ma",
        data={"csrf_token": csrf_of(page.text), "contact": "12ab", "next_url": "/cua-toi"},
        headers=HTMX if htmx else {},
    )
    assert r.status_code == 422
    assert _error(r.text, "contact") == "Số điện thoại không hợp lệ."
    assert 'value="12ab"' in r.text
    _stays(r, htmx=htmx)
    assert await _count(maker, OtpChallenge) == 0


@pytest.mark.parametrize("htmx", [False, True])
async def test_refused_settings(client: httpx.AsyncClient, actors: Actors, htmx: bool) -> None:
    await sign_in(client, actors, "0906 333 444")
    page = await client.get("/cua-toi/cai-dat")
    r = await client.post(
        "/cua-toi/cai-dat",
        data={"csrf_token": csrf_of(page.text), "quiet_start": "25h", "quiet_end": "06:00"},
        headers=HTMX if htmx else {},
    )
    assert r.status_code == 422
    assert "GIỜ:PHÚT" in _error(r.text, "quiet_start")
    assert 'value="25h"' in r.text and 'value="06:00"' in r.text
    _stays(r, htmx=htmx)
    # Nothing was saved: the stored hours are still empty.
    again = await client.get("/cua-toi/cai-dat")
    assert 'value="06:00"' not in again.text
