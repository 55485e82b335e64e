"""Driving the residents' pages the way a browser without JavaScript does: fetch a page, read its
CSRF field, post the form."""

from __future__ import annotations

import re

import httpx

from tests.conftest import Actors

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF field"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """Opens `page` (for its CSRF token) and posts `data` to `action` as its form would."""
    r = await client.get(page)
    assert r.status_code == 200, r.text
    return await client.post(action, data={"csrf_token": csrf_of(r.text), **data})


async def sign_in(client: httpx.AsyncClient, actors: Actors, phone: str, next_url: str = "/cua-toi") -> None:
    sent = await post_form(
        client, f"/dang-nhap?next={next_url}", "/dang-nhap/gui-ma", {"contact": phone, "next_url": next_url}
    )
    assert sent.status_code == 200, sent.text
    code = await actors.latest_code(normalised(phone))
    r = await client.post(
        "/dang-nhap",
        data={"csrf_token": csrf_of(sent.text), "contact": phone, "code": code, "next_url": next_url},
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == next_url


def normalised(phone: str) -> str:
    """The destination a code is sent to: the E.164 number, or the email as typed, in lower case."""
    if "@" in phone:
        return phone.strip().lower()
    digits = re.sub(r"\D", "", phone)
    return "+84" + digits[1:] if digits.startswith("0") else "+" + digits
