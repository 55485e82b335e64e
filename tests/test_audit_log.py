"""The audit log: staff actions and personal-data access are logged, the chain verifies, the
database refuses changes, tampering is found and named, concurrent writers never fork it."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import change_role, create_staff
from congdan.audit import service as audit
from congdan.authz.policy import MACHINE, Principal
from congdan.config import Settings
from congdan.db import make_engine, make_sessionmaker
from congdan.migrate import upgrade
from congdan.models import AuditEntry
from tests.conftest import PASSWORD, Actors, report_body
from tests.fresh_db import cli_env, fresh_settings
from tests.live_server import congdan_script

Maker = async_sessionmaker[AsyncSession]
CONTACT = {"name": "Phạm Thị Dung", "phone": "0977888999", "email": "dung@example.vn"}


async def _entries(maker: Maker, **where: str) -> list[AuditEntry]:
    async with maker() as session:
        stmt = select(AuditEntry).order_by(AuditEntry.seq)
        for column, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, column) == value)
        return list((await session.scalars(stmt)).all())


async def test_staff_actions_and_contact_views_are_logged(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    resident = await actors.resident()
    officer = await actors.staff("agency_officer", "so_xay_dung")
    report = (
        await client.post("/api/v1/reports", json=report_body(contact=CONTACT), headers=resident)
    ).json()
    rid = report["id"]
    before = {e.action for e in await _entries(maker, subject_id=rid)}
    assert before == set()  # submitting and the reporter seeing their own contact log nothing

    assert (await client.get(f"/api/v1/reports/{rid}", headers=resident)).json()["contact"] is not None
    assert await _entries(maker, subject_id=rid) == []

    seen = await client.get(f"/api/v1/reports/{rid}", headers=officer)
    assert seen.json()["contact"]["phone"] == "+84977888999"
    listed = await client.get("/api/v1/reports", headers=officer)
    assert listed.status_code == 200
    for step in ({"to": "in_progress"}, {"to": "resolved", "note": "Đã vá ổ gà."}):
        assert (
            await client.post(f"/api/v1/reports/{rid}/transitions", json=step, headers=officer)
        ).status_code == 200
    await client.post(f"/api/v1/reports/{rid}/replies", json={"message": "Xong."}, headers=officer)
    await client.post(f"/api/v1/reports/{rid}/notes", json={"note": "nội bộ"}, headers=officer)

    entries = await _entries(maker, subject_id=rid)
    actions = [e.action for e in entries]
    assert actions.count("contact.viewed") >= 2  # the report, and the list that showed it
    assert actions.count("report.transition") == 2
    assert "report.reply" in actions and "report.note" in actions
    officer_id = (await client.get("/api/v1/me", headers=officer)).json()["id"]
    assert {str(e.actor_id) for e in entries} == {officer_id}
    assert all(e.actor_role == "agency_officer" for e in entries)
    # The log names people by id only.
    assert not any("977888999" in e.details or "dung@" in e.details for e in entries)

    logins = await _entries(maker, action="auth.staff_login", subject_id=officer_id)
    assert len(logins) == 1


async def test_a_list_logs_each_contact_it_shows(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    coordinator = await actors.staff("coordinator")
    with_contact = [
        (await client.post("/api/v1/reports", json=report_body(contact=CONTACT))).json()["id"]
        for _ in range(3)
    ]
    without = (await client.post("/api/v1/reports", json=report_body())).json()["id"]
    listed = await client.get("/api/v1/reports", headers=coordinator)
    assert {item["id"] for item in listed.json()["items"]} >= {*with_contact, without}
    me = (await client.get("/api/v1/me", headers=coordinator)).json()["id"]
    viewed = [e for e in await _entries(maker, action="contact.viewed") if str(e.actor_id) == me]
    assert sorted(e.subject_id or "" for e in viewed) == sorted(with_contact)
    async with maker() as session:
        assert (await audit.verify_chain(session)).problem is None


async def test_account_creation_and_role_changes_are_logged(maker: Maker) -> None:
    async with maker() as session, session.begin():
        account = await create_staff(
            session,
            email="doi.vai.tro@example.vn",
            password=PASSWORD,
            role="agency_officer",
            agency_code="so_xay_dung",
        )
        await change_role(session, MACHINE, email="doi.vai.tro@example.vn", role="coordinator")
    [created, changed] = await _entries(maker, subject_id=str(account.id))
    assert created.action == "account.created" and '"role":"agency_officer"' in created.details
    assert changed.action == "account.role_changed"
    assert '"from":{"agency":"so_xay_dung","role":"agency_officer"}' in changed.details
    assert '"to":{"agency":null,"role":"coordinator"}' in changed.details


async def test_api_key_creation_is_logged(maker: Maker) -> None:
    from congdan.auth.service import create_api_key

    async with maker() as session, session.begin():
        key, raw = await create_api_key(session, "Ứng dụng đối tác")
    [entry] = await _entries(maker, subject_id=str(key.id))
    assert entry.action == "apikey.created" and entry.actor_role == "system"
    assert raw not in entry.details and key.key_hash not in entry.details


async def test_chain_verifies(client: httpx.AsyncClient, actors: Actors, maker: Maker) -> None:
    await actors.staff("coordinator")
    async with maker() as session:
        result = await audit.verify_chain(session, batch=3)  # small batches cross page boundaries
        count = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert result.problem is None and result.checked == count and count >= 2


async def test_database_refuses_update_and_delete(actors: Actors, maker: Maker) -> None:
    await actors.staff("coordinator")
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        async with maker() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement))
            await session.rollback()
    async with maker() as session:
        assert (await audit.verify_chain(session)).problem is None


async def test_database_refuses_truncate(actors: Actors, maker: Maker, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite has no TRUNCATE; DELETE is refused above")
    await actors.staff("coordinator")
    async with maker() as session:
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(text("TRUNCATE audit_log"))
        await session.rollback()
    async with maker() as session:
        assert (await audit.verify_chain(session)).problem is None


async def test_concurrent_writers_do_not_fork_the_chain(maker: Maker) -> None:
    async with maker() as session:
        start = await session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    actor = Principal(account_id=None, role="system")

    async def write(n: int) -> None:
        async with maker() as session, session.begin():
            await audit.record(session, actor, "test.concurrent", details={"n": n})
            await asyncio.sleep(0)  # let the others reach their own record() meanwhile

    await asyncio.gather(*(write(n) for n in range(24)))
    async with maker() as session:
        result = await audit.verify_chain(session)
        total = await session.scalar(select(func.count()).select_from(AuditEntry))
        prevs = (await session.scalars(select(AuditEntry.prev_hash))).all()
    assert total == start + 24
    assert result.problem is None and result.checked == total
    assert len(set(prevs)) == len(prevs)  # no two rows extend the same row


async def _tamper(maker: Maker, dialect: str, statement: str) -> None:
    """What an intruder with database superuser rights could do: switch the guard off first."""
    async with maker() as session, session.begin():
        if dialect == "postgresql":
            await session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            await session.execute(text("DROP TRIGGER audit_log_no_update"))
            await session.execute(text("DROP TRIGGER audit_log_no_delete"))
        await session.execute(text(statement))


TAMPERING = pytest.mark.parametrize(
    ("statement", "broken", "says"),
    [
        ("UPDATE audit_log SET details = '{}' WHERE seq = 3", 3, "row 3 (test.tamper): content"),
        ("DELETE FROM audit_log WHERE seq = 4", 4, "row 4 is missing"),
        ("UPDATE audit_log SET prev_hash = hash WHERE seq = 5", 5, "row 5: prev_hash"),
    ],
)


async def _tampered_chain(settings: Settings, statement: str) -> audit.Verification:
    """Six rows written, then `statement` run behind the guard's back; what verify_chain says."""
    await upgrade(settings)
    engine = make_engine(settings)
    maker = make_sessionmaker(engine)
    try:
        for n in range(6):
            async with maker() as session, session.begin():
                await audit.record(session, MACHINE, "test.tamper", details={"n": n})
        async with maker() as session:
            assert (await audit.verify_chain(session)).problem is None
        await _tamper(maker, engine.dialect.name, statement)
        async with maker() as session:
            return await audit.verify_chain(session)
    finally:
        await engine.dispose()


@TAMPERING
async def test_verify_names_the_first_broken_link(
    tmp_path: Path, statement: str, broken: int, says: str
) -> None:
    async with fresh_settings(tmp_path) as settings:
        result = await _tampered_chain(settings, statement)
    assert result.broken_seq == broken and result.problem is not None and says in result.problem
    assert result.checked == broken - 1


@TAMPERING
async def test_verify_command_names_the_first_broken_link(
    tmp_path: Path, statement: str, broken: int, says: str
) -> None:
    async with fresh_settings(tmp_path) as settings:
        await _tampered_chain(settings, statement)
        cli = await asyncio.to_thread(
            subprocess.run,
            [congdan_script(), "audit", "verify"],
            env=cli_env(settings),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert cli.returncode == 1 and says in cli.stderr, cli.stderr


async def test_verify_command_reports_an_intact_chain(tmp_path: Path) -> None:
    async with fresh_settings(tmp_path) as settings:
        await upgrade(settings)
        engine = make_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                for n in range(3):
                    await audit.record(session, MACHINE, "test.intact", details={"n": n})
        finally:
            await engine.dispose()
        cli = await asyncio.to_thread(
            subprocess.run,
            [congdan_script(), "audit", "verify"],
            env=cli_env(settings),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert cli.returncode == 0, cli.stderr
        assert "intact: 3" in cli.stdout and "head hash: " in cli.stdout
