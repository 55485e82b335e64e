"""What personal-data protection costs, each figure next to a reference from the same run.

1. Sealing: AES-256-GCM seal + open of a phone number, and its keyed lookup hash, against a plain
   SHA-256 of the same value.
2. The audit chain: N concurrent writers, each committing transactions that append one audit row
   (advisory lock, read the head, insert), against the same writers inserting the same row into a
   table with no chain, in a fresh PostgreSQL database (or SQLite with --sqlite).

    python bench/privacy.py --writers 8 --seconds 10 --json bench/results/privacy.json
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from harness import Postgres, fresh_database, machine, write_json
from sqlalchemy import text

from congdan.audit import service as audit
from congdan.authz.policy import MACHINE
from congdan.config import Settings
from congdan.db import make_engine, make_sessionmaker
from congdan.kit.crypto import build_keyring, generate_key_entry
from congdan.migrate import upgrade


def sealing(seconds: float) -> dict[str, float]:
    keyring = build_keyring(generate_key_entry(), b"bench-secret", allow_dev_key=False)
    value = "+84912345678"

    def rate(fn: Any) -> float:
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(1000):
                fn()
            n += 1000
        return n / (time.perf_counter() - start)

    reference = rate(lambda: hashlib.sha256(value.encode()).hexdigest())
    seal_open = rate(lambda: keyring.open(keyring.seal(value, "accounts.phone"), "accounts.phone"))
    lookup = rate(lambda: keyring.lookup_hash(value))
    return {
        "sha256_per_s": round(reference),
        "seal_and_open_per_s": round(seal_open),
        "lookup_hash_per_s": round(lookup),
        "seal_and_open_vs_sha256": round(seal_open / reference, 3),
        "seal_and_open_us": round(1e6 / seal_open, 2),
    }


async def writers(settings: Settings, n: int, seconds: float, chained: bool) -> float:
    engine = make_engine(settings)
    maker = make_sessionmaker(engine)
    stop = time.perf_counter() + seconds
    counts = [0] * n

    async def one(i: int) -> None:
        while time.perf_counter() < stop:
            async with maker() as session, session.begin():
                if chained:
                    await audit.record(session, MACHINE, "bench.write", details={"w": i})
                else:
                    await session.execute(
                        text(
                            "INSERT INTO bench_plain (id, actor_role, action, details) "
                            "VALUES (:id, 'system', 'bench.write', :d)"
                        ),
                        {"id": str(uuid.uuid4()), "d": json.dumps({"w": i})},
                    )
            counts[i] += 1

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - start
    await engine.dispose()
    return sum(counts) / elapsed


async def chain(writers_n: int, seconds: float, use_sqlite: bool) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="congdan-bench-privacy-"))
    if use_sqlite:
        return await _chain(writers_n, seconds, f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}", tmp)
    pg = Postgres("127.0.0.1", 5432, "postgres")
    async with fresh_database(pg) as name:
        return await _chain(writers_n, seconds, pg.sqlalchemy_url(name), tmp)


async def _chain(writers_n: int, seconds: float, url: str, tmp: Path) -> dict[str, Any]:
    settings = Settings(
        data_dir=tmp, database_url=url, secret_key="bench", data_key=generate_key_entry(), pool_size=writers_n
    )
    await upgrade(settings)
    engine = make_engine(settings)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE bench_plain (id VARCHAR(36) PRIMARY KEY, actor_role VARCHAR(32), "
                "action VARCHAR(64), details TEXT)"
            )
        )
    await engine.dispose()
    plain = await writers(settings, writers_n, seconds, chained=False)
    chained = await writers(settings, writers_n, seconds, chained=True)
    plain_again = await writers(settings, writers_n, seconds, chained=False)
    engine = make_engine(settings)
    async with make_sessionmaker(engine)() as session:
        verified = await audit.verify_chain(session)
    await engine.dispose()
    reference = (plain + plain_again) / 2
    return {
        "database": "sqlite" if url.startswith("sqlite") else "postgresql",
        "writers": writers_n,
        "seconds_per_phase": seconds,
        "plain_insert_tx_per_s": [round(plain, 1), round(plain_again, 1)],
        "audit_record_tx_per_s": round(chained, 1),
        "audit_vs_plain": round(chained / reference, 3),
        "chain_rows_verified": verified.checked,
        "chain_intact": verified.problem is None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "sealing": sealing(min(args.seconds, 3.0)),
        "audit_chain": asyncio.run(chain(args.writers, args.seconds, args.sqlite)),
    }
    print(json.dumps(result, indent=2))
    write_json(args.json, result)


if __name__ == "__main__":
    main()
