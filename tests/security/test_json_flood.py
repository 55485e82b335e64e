"""A JSON body made of unknown keys costs the server little and answers little, while the rest of
the server keeps answering: a real `congdan serve` process, requests sent at the same time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest

from congdan.config import Settings
from tests.conftest import report_body
from tests.live_server import ServerProcess, congdan_serve

pytestmark = pytest.mark.asyncio

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with congdan_serve(settings, tmp_path_factory.mktemp("flood") / "server.log") as server:
        yield server


def _flood(keys: int, inside: str | None = None) -> bytes:
    unknown = {f"k{i}": 0 for i in range(keys)}
    body = report_body(contact={**unknown}) if inside == "contact" else {**report_body(), **unknown}
    return json.dumps(body).encode()


async def test_half_a_million_unknown_keys_while_healthz_is_asked(server: ServerProcess) -> None:
    flood = _flood(500_000)
    assert len(flood) > 5_000_000
    async with httpx.AsyncClient(base_url=server.url, timeout=120, trust_env=False) as client:
        floods = [client.post("/api/v1/reports", content=flood, headers=JSON) for _ in range(4)]
        checks = [client.get("/healthz") for _ in range(20)]
        answers = await asyncio.gather(*floods, *checks)
    for r in answers[:4]:
        assert r.status_code == 413, r.status_code
        assert len(r.content) < 2048
        assert r.json()["detail"] == "Dữ liệu gửi lên vượt quá giới hạn 64 KB."
    assert [r.status_code for r in answers[4:]] == [200] * 20


async def test_unknown_keys_that_fit_are_told_in_a_short_answer(server: ServerProcess) -> None:
    flood = _flood(90)  # fewer than the keys an object may have
    async with httpx.AsyncClient(base_url=server.url, timeout=60, trust_env=False) as client:
        vi = await client.post("/api/v1/reports", content=flood, headers=JSON)
        en = await client.post("/api/v1/reports", content=flood, headers=JSON | {"accept-language": "en"})
    assert vi.status_code == en.status_code == 422
    errors = vi.json()["errors"]
    assert len(errors) == 21
    assert errors[0] == {"field": "k0", "message": "Trường này không được chấp nhận."}
    assert errors[-1] == {"field": "body", "message": "Và 70 lỗi khác."}
    assert en.json()["errors"][-1]["message"] == "And 70 more errors."
    assert len(vi.content) < 4096


@pytest.mark.parametrize("inside", [None, "contact"])
async def test_too_many_keys_in_one_object_is_one_error(server: ServerProcess, inside: str | None) -> None:
    flood = _flood(4000, inside)
    assert len(flood) < 64 * 1024
    async with httpx.AsyncClient(base_url=server.url, timeout=60, trust_env=False) as client:
        r = await client.post("/api/v1/reports", content=flood, headers=JSON)
        health = await client.get("/healthz")
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [
        {"field": inside or "body", "message": "Quá nhiều trường trong một đối tượng: tối đa 100."}
    ]
    assert health.status_code == 200


async def test_a_long_announcement_still_fits(server: ServerProcess) -> None:
    """The limit is per operation: an announcement may be longer than a report."""
    body = json.dumps({"title": "Thông báo", "body": "\u1ea0" * 19_000}).encode()  # \uXXXX escapes
    assert len(body) > 64 * 1024
    async with httpx.AsyncClient(base_url=server.url, timeout=60, trust_env=False) as client:
        r = await client.post("/api/v1/announcements", content=body, headers=JSON)
    assert r.status_code == 401  # read and parsed, then refused for want of a staff sign-in
