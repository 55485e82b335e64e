"""Contract fuzzing: schemathesis generates requests from the app's own OpenAPI document for every
operation and checks every answer (no server error, documented status code, body, content type
and headers that match the schema, undeclared methods refused properly), as an anonymous caller
and as a signed-in coordinator. bench/fuzz.py runs the same with many more examples."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from congdan.accounts.service import create_staff
from congdan.app import create_app
from congdan.auth.service import issue_token
from congdan.config import Settings
from congdan.db import make_engine, make_sessionmaker
from tests.conftest import PASSWORD

# Every check schemathesis has, but one: a body can be valid by the schema and still break a rule
# the schema cannot say (a category that does not exist, neither a location nor an address, a
# photo that is not yours); such requests answer 422 by design.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]
EXAMPLES = int(os.environ.get("CONGDAN_FUZZ_EXAMPLES", "100"))
tried: Counter[str] = Counter()


@pytest.fixture(scope="module")
def api_schema(settings: Settings) -> Any:
    # An app of its own: schemathesis drives it from its own event loop thread.
    app = create_app(settings, run_worker=False)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


async def _coordinator_token(settings: Settings) -> str:
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            account = await create_staff(
                session,
                email=f"fuzz.{uuid.uuid4().hex[:8]}@example.vn",
                password=PASSWORD,
                role="coordinator",
            )
            return (await issue_token(session, account, timedelta(hours=1))).token
    finally:
        await engine.dispose()


@pytest.fixture
def coordinator(settings: Settings) -> dict[str, str]:
    token = asyncio.run(_coordinator_token(settings))  # rows go with the test's clean-up
    return {"Authorization": f"Bearer {token}"}


FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # Same examples on every CI run; bench/fuzz.py explores fresh ones each time.
    derandomize=os.environ.get("CONGDAN_FUZZ_RANDOM") != "1",
)


def _check(case: Any, who: str, headers: dict[str, str]) -> None:
    tried[f"{case.operation.label} ({who})"] += 1
    case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)


@schema.parametrize()
@FUZZ
def test_contract_anonymous(case: Any) -> None:
    _check(case, "anonymous", {})


@schema.parametrize()
@FUZZ
def test_contract_coordinator(case: Any, coordinator: dict[str, str]) -> None:
    _check(case, "coordinator", coordinator)


def teardown_module() -> None:
    out = os.environ.get("CONGDAN_FUZZ_REPORT")
    if out:
        Path(out).write_text(json.dumps(dict(sorted(tried.items())), indent=1, ensure_ascii=False))
