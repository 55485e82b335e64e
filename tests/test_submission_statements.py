"""What one submission without photos sends to the database, counted (not timed), so that a change
that adds statements or transactions to the hot path fails here."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import event, func, select

from congdan.models import IdempotencyKey
from tests.conftest import report_body

# The statements (SELECT/INSERT/UPDATE) of an anonymous submission routed to an agency, with its
# idempotency claim and stored answer; lower it when the hot path sends fewer.
MAX_STATEMENTS = 9
MAX_TRANSACTIONS = 2


@dataclass
class Sent:
    statements: list[str] = field(default_factory=list)
    # The same statements' verb and table, e.g. "UPDATE reports", "INSERT outbox".
    targets: list[str] = field(default_factory=list)
    commits: int = 0


@contextmanager
def counting(app: Any) -> Iterator[Sent]:
    sync_engine = app.state.engine.sync_engine
    sent = Sent()

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        verb = statement.split(None, 1)[0].upper()
        # SQLite's BEGIN IMMEDIATE goes through the cursor; it is counted as a transaction.
        if verb != "BEGIN":
            sent.statements.append(verb)
            sent.targets.append(_target(verb, statement))

    def on_commit(_conn: Any) -> None:
        sent.commits += 1

    event.listen(sync_engine, "before_cursor_execute", on_statement)
    event.listen(sync_engine, "commit", on_commit)
    try:
        yield sent
    finally:
        event.remove(sync_engine, "before_cursor_execute", on_statement)
        event.remove(sync_engine, "commit", on_commit)


def _target(verb: str, statement: str) -> str:
    words = statement.replace("(", " ").split()
    after = {"INSERT": "INTO", "UPDATE": "UPDATE", "DELETE": "FROM", "SELECT": "FROM"}.get(verb)
    if after is None or after not in (upper := [w.upper() for w in words]):
        return verb
    table = words[upper.index(after) + 1].split(".")[0]
    return f"{verb} {table}"


async def _submit(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        "/api/v1/reports", json=report_body(), headers={"Idempotency-Key": str(uuid.uuid4())}
    )


async def test_one_submission_sends_a_bounded_number_of_statements(
    app: Any, client: httpx.AsyncClient
) -> None:
    # The first request loads the in-process caches (areas, classifier); count a later one.
    assert (await _submit(client)).status_code == 201
    with counting(app) as sent:
        r = await _submit(client)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "assigned"
    assert len(sent.statements) <= MAX_STATEMENTS, sent.statements
    assert sent.commits <= MAX_TRANSACTIONS
    assert "PRAGMA" not in sent.statements and ";" not in sent.statements
    # Routed before it is written: inserted once with its status, never updated in the same request;
    # its two events in one statement, their two outbox rows in another.
    assert "UPDATE reports" not in sent.targets, sent.targets
    assert sent.targets.count("INSERT reports") == 1
    assert sent.targets.count("INSERT report_events") == 1
    assert sent.targets.count("INSERT outbox") == 1
    # The category and agency routing read are named in the answer without being read again.
    assert sent.targets.count("SELECT categories") == 1, sent.targets
    assert sent.targets.count("SELECT agencies") == 1, sent.targets
    # The tracking code's uniqueness is the constraint's to keep, not a look-up's.
    assert "SELECT reports" not in sent.targets, sent.targets


async def test_a_replay_reads_the_stored_answer_without_writing(app: Any, client: httpx.AsyncClient) -> None:
    key = str(uuid.uuid4())
    first = await client.post("/api/v1/reports", json=report_body(), headers={"Idempotency-Key": key})
    assert first.status_code == 201
    with counting(app) as sent:
        again = await client.post("/api/v1/reports", json=report_body(), headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json() == first.json()
    # The claim's insert-or-read finds the key taken (its INSERT … ON CONFLICT DO NOTHING adds no
    # row), then reads the answer; nothing else is written.
    assert sent.targets.count("INSERT idempotency_keys") == 1, sent.targets
    assert [t for t in sent.targets if t.split()[0] in ("INSERT", "UPDATE", "DELETE")] == [
        "INSERT idempotency_keys"
    ], sent.targets
    async with app.state.sessionmaker() as s:
        rows = await s.scalar(
            select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.key == key)
        )
    assert rows == 1
