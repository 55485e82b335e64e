"""Contact data is sealed at rest, found by keyed hash, and the keys rotate."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.db import Base, make_engine, make_sessionmaker
from congdan.kit import crypto
from congdan.kit.crypto import KeyConfigError, SealError, build_keyring, generate_key_entry, parse_keys
from congdan.migrate import upgrade
from congdan.models import Account, IdempotencyKey, Report
from congdan.outbox.relay import Relay
from congdan.privacy.keys import rotate, sealed_columns
from tests.conftest import Actors, report_body
from tests.fresh_db import cli_env, fresh_settings
from tests.live_server import congdan_script

PHONE_LOCAL = "0912345678"
PHONE = "+84912345678"
EMAIL = "binh.tran@example.vn"
CONTACT = {"name": "Trần Thị Bình", "phone": PHONE_LOCAL, "email": EMAIL}
RESIDENT_PHONE = "+84987654321"
STAFF_MARK = "so_xay_dung"

Maker = async_sessionmaker[AsyncSession]


async def _dump_all_tables(maker: Maker) -> str:
    """Every value of every row of every table, as stored."""
    chunks = []
    async with maker() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(text(f"SELECT * FROM {table.name}"))).all()
            chunks.append(f"{table.name}: {rows!r}")
    return "\n".join(chunks)


def _assert_no_contact(dump: str, *needles: str) -> None:
    for needle in needles:
        assert needle not in dump, f"{needle!r} is stored in clear"


async def test_no_phone_or_email_is_stored_in_clear(
    client: httpx.AsyncClient, actors: Actors, maker: Maker, relay: Relay
) -> None:
    resident = await actors.resident(RESIDENT_PHONE)
    officer = await actors.staff("agency_officer", STAFF_MARK)
    # A signed-in report with contact details, sent with an Idempotency-Key (whose remembered
    # answer carries the contact), and an anonymous one.
    r = await client.post(
        "/api/v1/reports",
        json=report_body(contact=CONTACT),
        headers={**resident, "Idempotency-Key": "k-encryption-1"},
    )
    assert r.status_code == 201 and r.json()["contact"]["phone"] == PHONE
    anonymous = await client.post("/api/v1/reports", json=report_body(contact=CONTACT))
    assert anonymous.status_code == 201
    assert await relay.drain() >= 1  # the code delivery and the inbox write their deliveries
    # Staff still see the contact, and the replay still answers with it: sealing is transparent.
    seen = await client.get(f"/api/v1/reports/{r.json()['id']}", headers=officer)
    assert seen.json()["contact"] == {"name": "Trần Thị Bình", "phone": PHONE, "email": EMAIL}
    replay = await client.post(
        "/api/v1/reports",
        json=report_body(contact=CONTACT),
        headers={**resident, "Idempotency-Key": "k-encryption-1"},
    )
    assert replay.headers.get("idempotent-replayed") == "true" and replay.json()["contact"]["email"] == EMAIL

    dump = await _dump_all_tables(maker)
    staff_email = (await client.get("/api/v1/me", headers=officer)).json()["email"]
    _assert_no_contact(
        dump,
        PHONE,
        PHONE_LOCAL,
        "912345678",
        EMAIL,
        "Trần Thị Bình",
        RESIDENT_PHONE,
        "987654321",
        staff_email,
    )
    assert "cd1:t1:" in dump
    async with maker() as session:
        raw = (
            await session.execute(text("SELECT contact_phone, contact_email FROM reports ORDER BY id"))
        ).all()
        assert all(v.startswith("cd1:t1:") for row in raw for v in row)
        stored = (await session.scalars(select(IdempotencyKey))).one()
        assert stored.response_body is not None and stored.response_body["contact"]["phone"] == PHONE


async def test_lookups_use_the_keyed_hash(actors: Actors, maker: Maker, settings: Settings) -> None:
    await actors.resident(RESIDENT_PHONE)
    async with maker() as session:
        found = (await session.scalars(select(Account).where(Account.phone == RESIDENT_PHONE))).one()
        assert found.phone == RESIDENT_PHONE
        assert found.phone_hash == settings.keyring.lookup_hash(RESIDENT_PHONE)
        raw = await session.scalar(text("SELECT phone_hash FROM accounts"))
        assert raw == found.phone_hash and RESIDENT_PHONE not in raw
        assert (await session.scalars(select(Account).where(Account.phone == "+84900000000"))).first() is None
        assert (
            await session.scalars(select(Account).where(Account.phone.in_([RESIDENT_PHONE])))
        ).one() == found


def test_sealing_binds_the_column_and_the_key() -> None:
    keyring = build_keyring(f"{generate_key_entry()}", b"secret", allow_dev_key=False)
    sealed = keyring.seal(PHONE, "accounts.phone")
    assert sealed.startswith(f"cd1:{keyring.primary}:") and PHONE not in sealed
    assert sealed != keyring.seal(PHONE, "accounts.phone")  # a fresh nonce every time
    assert keyring.open(sealed, "accounts.phone") == PHONE
    with pytest.raises(SealError):
        keyring.open(sealed, "reports.contact_phone")  # moved to another column
    tampered = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(SealError):
        keyring.open(tampered, "accounts.phone")
    other = build_keyring(generate_key_entry(), b"secret", allow_dev_key=False)
    with pytest.raises(SealError):
        other.open(sealed, "accounts.phone")  # no key with that id
    with pytest.raises(SealError):
        keyring.open(PHONE, "accounts.phone")  # plaintext is never accepted as sealed


def test_key_setting_is_checked() -> None:
    for bad in ("nocolon", "k1:" + "A" * 10, "k-1:" + "A" * 43, " , "):
        with pytest.raises(KeyConfigError):
            parse_keys(bad)
    [(key_id, key)] = parse_keys(generate_key_entry())
    assert key_id.startswith("k") and len(key) == 32


def test_production_like_config_requires_the_data_key(tmp_path: Path) -> None:
    pg = Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://u@127.0.0.1/db", secret_key="s")
    with pytest.raises(KeyConfigError, match="CONGDAN_DATA_KEY"):
        _ = pg.keyring
    production = Settings(data_dir=tmp_path, secret_key="s", environment="production")
    with pytest.raises(KeyConfigError, match="CONGDAN_DATA_KEY"):
        _ = production.keyring
    demo = Settings(data_dir=tmp_path, secret_key="s")
    assert demo.keyring.primary == crypto.DEV_KEY_ID
    configured = Settings(data_dir=tmp_path, secret_key="s", data_key=generate_key_entry())
    assert configured.keyring.primary != crypto.DEV_KEY_ID and crypto.DEV_KEY_ID in configured.keyring.keys


def test_server_refuses_to_start_without_the_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none")
    env = cli_env(settings)
    del env["CONGDAN_DATA_KEY"]
    result = subprocess.run(
        [congdan_script(), "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "CONGDAN_DATA_KEY" in result.stderr and "congdan keys generate" in result.stderr
    assert "Traceback" not in result.stderr


async def test_rotate_reseals_everything_under_the_new_key(tmp_path: Path) -> None:
    async with fresh_settings(tmp_path) as settings:
        await upgrade(settings)
        new_entry = generate_key_entry()
        new_id = new_entry.split(":")[0]

        def with_keys(data_key: str) -> Settings:
            return Settings(
                data_dir=settings.data_dir,
                database_url=settings.database_url,
                secret_key="test-secret-key",
                data_key=data_key,
            )

        # Each engine carries its own settings' keys: before, during and after the rotation.
        engines = {
            name: make_engine(with_keys(keys))
            for name, keys in (
                ("old", settings.data_key or ""),
                ("both", f"{new_entry},{settings.data_key}"),
                ("new", new_entry),
            )
        }
        makers = {name: make_sessionmaker(engine) for name, engine in engines.items()}
        try:
            async with makers["old"]() as session, session.begin():
                session.add(Account(role="resident", phone=PHONE, email=EMAIL))
                session.add(
                    Report(
                        tracking_code="AAAAA-BBBBB",
                        kind="report",
                        description="x",
                        search_text="x",
                        status="submitted",
                        contact_name="Bình",
                        contact_phone=PHONE,
                        contact_email=EMAIL,
                    )
                )
            async with makers["new"]() as session:
                with pytest.raises(SealError):  # the new key alone cannot open the old values yet
                    (await session.scalars(select(Account))).all()

            both = with_keys(f"{new_entry},{settings.data_key}").keyring
            async with makers["both"]() as session, session.begin():
                counts = await rotate(session, both)
            assert counts["accounts.email"] == 1 and counts["reports.contact_phone"] == 1
            async with makers["both"]() as session, session.begin():
                assert sum((await rotate(session, both)).values()) == 0  # nothing left to do
            async with makers["both"]() as session:
                for column in sealed_columns():
                    values = (
                        await session.execute(
                            text(
                                f"SELECT {column.column} FROM {column.table} "
                                f"WHERE {column.column} IS NOT NULL"
                            )
                        )
                    ).scalars()
                    assert all(v.startswith(f"cd1:{new_id}:") for v in values), column

            # The old key can now go: with only the new key everything still opens and is found.
            async with makers["new"]() as session:
                account = (await session.scalars(select(Account).where(Account.phone == PHONE))).one()
                assert (account.phone, account.email) == (PHONE, EMAIL)
                report = (await session.scalars(select(Report))).one()
                assert (report.contact_phone, report.contact_email) == (PHONE, EMAIL)
            async with makers["old"]() as session:
                with pytest.raises(SealError):
                    (await session.scalars(select(Account))).all()
        finally:
            for engine in engines.values():
                await engine.dispose()


async def test_keys_rotate_command_moves_the_demo_off_its_derived_key(tmp_path: Path) -> None:
    """The embedded demo seals under the key derived from its data dir; once a real key is set,
    `congdan keys rotate` moves every value onto it and the demo key is no longer needed."""
    ddir = tmp_path / "data"
    env = {k: v for k, v in cli_env(Settings(data_dir=ddir)).items() if k not in {"CONGDAN_DATABASE_URL"}}
    env.pop("CONGDAN_SECRET_KEY")
    env.pop("CONGDAN_DATA_KEY")

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [congdan_script(), *args],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    seeded = await asyncio.to_thread(run, "seed", "demo", "--data-dir", str(ddir))
    assert seeded.returncode == 0, seeded.stderr
    generated = await asyncio.to_thread(run, "keys", "generate")
    entry = generated.stdout.strip()
    key_id = entry.split(":")[0]
    rotated = await asyncio.to_thread(run, "keys", "rotate", "--data-dir", str(ddir), CONGDAN_DATA_KEY=entry)
    assert rotated.returncode == 0, rotated.stderr
    assert f"primary key: {key_id}" in rotated.stdout
    import sqlite3

    conn = sqlite3.connect(ddir / "congdan.sqlite3")
    try:
        emails = [row[0] for row in conn.execute("SELECT email FROM accounts WHERE email IS NOT NULL")]
    finally:
        conn.close()
    assert emails and all(e.startswith(f"cd1:{key_id}:") for e in emails)
    keyring = build_keyring(entry, (ddir / "secret.key").read_text().strip().encode(), allow_dev_key=False)
    assert all("@demo.congdan.vn" in keyring.open(e, "accounts.email") for e in emails)
