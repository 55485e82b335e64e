"""Helpers shared by the Open311 test modules."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.auth.service import create_api_key
from tests.conftest import BEN_THANH

BASE = "/open311/v2"
# W3C date-time to the second with a zone: Z or ±hh:mm.
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")


async def new_api_key(maker: async_sessionmaker[AsyncSession], name: str = "test client") -> str:
    async with maker() as session, session.begin():
        _key, raw = await create_api_key(session, name)
    return raw


def pothole_form(api_key: str, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "api_key": api_key,
        "service_code": "road_damage",
        "lat": str(BEN_THANH["lat"]),
        "long": str(BEN_THANH["long"]),
        "description": "Ổ gà lớn trước chợ Bến Thành.",
        "attribute[damage_type]": "pothole",
        "attribute[pothole_size_cm]": "40",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


async def post_request(
    client: httpx.AsyncClient, form: dict[str, Any], fmt: str = "json", **kwargs: Any
) -> httpx.Response:
    return await client.post(f"{BASE}/requests.{fmt}", data=form, **kwargs)


async def create_request(client: httpx.AsyncClient, api_key: str, **overrides: Any) -> str:
    r = await post_request(client, pothole_form(api_key, **overrides))
    assert r.status_code == 201, r.text
    body = r.json()
    return str(body[0]["service_request_id"])


def xml(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml"), response.headers["content-type"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def assert_errors_json(response: httpx.Response, status: int) -> list[str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list) and body
    for error in body:
        assert set(error) == {"code", "description"}
        assert error["code"] == status
        assert isinstance(error["description"], str) and error["description"]
    return [e["description"] for e in body]


def assert_errors_xml(response: httpx.Response, status: int) -> list[str]:
    assert response.status_code == status, response.text
    root = xml(response)
    assert root.tag == "errors"
    errors = list(root)
    assert errors and all(e.tag == "error" for e in errors)
    for error in errors:
        assert [c.tag for c in error] == ["code", "description"]
        assert error.findtext("code") == str(status)
    return [e.findtext("description") or "" for e in errors]
