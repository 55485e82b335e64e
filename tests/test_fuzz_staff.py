"""Contract fuzzing as a signed-in coordinator: the same operations, checks and examples as
tests/test_fuzz.py, with a bearer token."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest

from congdan.accounts.service import create_staff
from congdan.auth.service import issue_token
from congdan.config import Settings
from congdan.db import make_engine, make_sessionmaker
from tests.conftest import PASSWORD
from tests.test_fuzz import FUZZ, api_schema, check, schema, teardown_module

__all__ = ["api_schema", "teardown_module"]  # the schema's fixture, and the counts written at the end


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


@schema.parametrize()
@FUZZ
def test_contract_coordinator(case: Any, coordinator: dict[str, str]) -> None:
    check(case, "coordinator", coordinator)
