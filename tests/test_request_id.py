"""The request id: taken from the caller when well-formed, echoed, in the request's log line, in
the outbox rows the request writes and in the worker's lines for them; no contact data in logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.kit import logs
from congdan.models import OutboxMessage
from congdan.outbox.relay import Relay
from tests.conftest import submit


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out = io.StringIO()
    logs.configure("INFO", "json", out)
    try:
        yield out
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.captureWarnings(False)
        structlog.reset_defaults()


def _lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


async def test_an_id_is_made_when_none_is_sent_and_echoed(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/v1/categories")
    second = await client.get("/api/v1/categories")
    made = first.headers["X-Request-Id"]
    assert len(made) == 32 and made != second.headers["X-Request-Id"]


async def test_a_well_formed_id_from_the_proxy_is_kept(client: httpx.AsyncClient) -> None:
    sent = "3f2c1a9e-5b7d-4e0f-8a61-2d9c4b7e1f00"
    r = await client.get("/api/v1/categories", headers={"X-Request-Id": sent})
    assert r.headers["X-Request-Id"] == sent
    assert r.headers.get_list("X-Request-Id") == [sent]


@pytest.mark.parametrize("sent", ["a" * 65, "id with spaces", 'x"}{injected', "đ-không-ascii"])
async def test_a_malformed_id_is_replaced(client: httpx.AsyncClient, sent: str) -> None:
    r = await client.get("/api/v1/categories", headers={"X-Request-Id": sent.encode()})
    assert r.status_code == 200
    echoed = r.headers["X-Request-Id"]
    assert echoed != sent and len(echoed) == 32


async def test_each_request_logs_one_json_line_with_its_id_and_route_template(
    client: httpx.AsyncClient, captured: io.StringIO
) -> None:
    r = await client.get("/api/v1/reports/00000000-0000-0000-0000-000000000000")
    lines = [line for line in _lines(captured) if line["event"] == "http.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == r.headers["X-Request-Id"]
    assert line["method"] == "GET" and line["status"] == r.status_code
    assert line["route"] == "/api/v1/reports/{report_id:uuid}"
    assert isinstance(line["duration_ms"], float)
    # The path itself stays out (the test's own HTTP client logs it too).
    assert "00000000-0000-0000-0000-000000000000" not in json.dumps(line)


async def test_one_id_follows_a_report_into_its_outbox_rows_and_the_worker_lines(
    client: httpx.AsyncClient,
    relay: Relay,
    maker: async_sessionmaker[AsyncSession],
    captured: io.StringIO,
) -> None:
    await relay.drain()
    phone, email = "+84901239876", "nguoi.dan@example.vn"
    sent = "submission-7f3a"
    report = await submit(client, headers={"X-Request-Id": sent}, contact={"phone": phone, "email": email})
    async with maker() as s:
        rows = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.aggregate_id == report["id"]))
        ).all()
    assert rows and all(row.request_id == sent for row in rows)

    assert await relay.drain() >= 1
    handled = [line for line in _lines(captured) if line["event"] == "outbox.handled"]
    assert {line["id"] for line in handled} >= {str(row.id) for row in rows}
    assert all(line.get("request_id") == sent for line in handled if line["id"] in {str(r.id) for r in rows})

    # The development channel writes whole messages to the log on purpose, in place of sending them.
    text = "\n".join(json.dumps(line) for line in _lines(captured) if line["logger"] != "notify.dev")
    for secret in (phone, phone[3:], "0901239876", email, report["tracking_code"]):
        assert secret not in text


async def test_rows_written_outside_a_request_have_no_id_and_the_worker_lines_none(
    relay: Relay, maker: async_sessionmaker[AsyncSession], captured: io.StringIO
) -> None:
    from congdan.outbox.service import emit

    await relay.drain()
    async with maker() as s, s.begin():
        message = emit(s, "test.unhandled", aggregate_type="test", aggregate_id="1", payload={})
    assert message.request_id is None
    await relay.drain()
    handled = [line for line in _lines(captured) if line["event"] == "outbox.handled"]
    assert handled and all("request_id" not in line for line in handled)


def test_json_lines_keep_vietnamese_as_written(captured: io.StringIO) -> None:
    # The demo's one-time codes and operators' searches read these lines as text.
    structlog.get_logger("test").info("thử.nghiệm", note="Mã đăng nhập Công dân số")
    assert "Mã đăng nhập Công dân số" in captured.getvalue()
    assert _lines(captured)[-1]["note"] == "Mã đăng nhập Công dân số"
