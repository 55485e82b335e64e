"""Contract fuzzing: schemathesis generates requests from the app's own OpenAPI document for every
operation and checks every answer (no server error, documented status code, body, content type
and headers that match the schema, undeclared methods refused properly), as an anonymous caller
and as a signed-in coordinator (tests/test_fuzz_staff.py, a file of its own so that the two run side
by side). bench/fuzz.py runs the same with many more examples."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from congdan.app import create_app
from congdan.config import Settings

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


FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # Same examples on every CI run; bench/fuzz.py explores fresh ones each time.
    derandomize=os.environ.get("CONGDAN_FUZZ_RANDOM") != "1",
)


def check(case: Any, who: str, headers: dict[str, str]) -> None:
    tried[f"{case.operation.label} ({who})"] += 1
    case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)


@schema.parametrize()
@FUZZ
def test_contract_anonymous(case: Any) -> None:
    check(case, "anonymous", {})


def teardown_module() -> None:
    out = os.environ.get("CONGDAN_FUZZ_REPORT")
    if out:
        Path(out).write_text(json.dumps(dict(sorted(tried.items())), indent=1, ensure_ascii=False))
