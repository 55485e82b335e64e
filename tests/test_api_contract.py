"""The OpenAPI document is the contract: every operation documents its errors as problem+json."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from congdan.reports.deadlines import add_working_days, is_working_day


async def test_every_operation_documents_problem_errors(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if path.startswith("/api/")
    ]
    assert len(operations) >= 15
    for path, method, op in operations:
        codes = set(op["responses"])
        assert {"400", "422", "503"} <= codes, (method, path, codes)
        for code in codes - {"200", "201", "202", "204"}:
            content = op["responses"][code].get("content", {})
            assert "application/problem+json" in content, (method, path, code)
    post_reports = spec["paths"]["/api/v1/reports"]["post"]
    assert {"401", "409", "413"} <= set(post_reports["responses"])
    headers = [p["name"] for p in post_reports.get("parameters", [])]
    assert "Idempotency-Key" in headers
    transitions = spec["paths"]["/api/v1/reports/{report_id}/transitions"]["post"]
    assert {"403", "404", "409"} <= set(transitions["responses"])


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await client.delete("/api/v1/reports")
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"
    r = await client.get("/api/v1/reports/not-a-uuid")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await client.get("/api/v1/reports/suggest")
    assert r.status_code == 405 and r.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Monday 09:00 local + 5 working days → next Monday 09:00 local.
        (datetime(2026, 11, 30, 2, 0, tzinfo=UTC), 5, datetime(2026, 12, 7, 2, 0, tzinfo=UTC)),
        # Friday before Tết 2026 (16–20 Feb are holidays): 5 working days land on 27 Feb.
        (datetime(2026, 2, 13, 3, 0, tzinfo=UTC), 5, datetime(2026, 2, 27, 3, 0, tzinfo=UTC)),
        # Sent on Saturday: counting starts at 00:00 local on Monday, so one working day ends
        # at 00:00 local on Tuesday (17:00 UTC on Monday).
        (datetime(2026, 11, 28, 5, 0, tzinfo=UTC), 1, datetime(2026, 11, 30, 17, 0, tzinfo=UTC)),
        # 30 April and 1 May are holidays.
        (datetime(2026, 4, 29, 1, 0, tzinfo=UTC), 1, datetime(2026, 5, 4, 1, 0, tzinfo=UTC)),
    ],
)
def test_deadlines_skip_weekends_and_holidays(start: datetime, days: int, due: datetime) -> None:
    assert add_working_days(start, days) == due


def test_working_days() -> None:
    assert not is_working_day(datetime(2026, 9, 2).date())  # National Day
    assert not is_working_day(datetime(2026, 11, 29).date())  # Sunday
    assert is_working_day(datetime(2026, 11, 30).date())
