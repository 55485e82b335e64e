"""The workbench at city scale: the queue page and the report page of an officer whose agency has
10,000 open reports, in a PostgreSQL database of 1,000,000 reports, at concurrency 4, next to
`/healthz` measured in the same run on the same server (the floor: what any answer costs here).

    python bench/workbench.py --database congdan_bench_workbench --json bench/results/workbench.json

Each run measures `congdan serve --workers 1` and `--workers 2` (`--workers N …` to choose) on the
same database. With `--database NAME` the database is filled once and kept, with its data folder,
for the next run; without, a fresh one is filled and dropped.

The reports are written with SQL (`generate_series`), two timeline events each, and analysed; the
officer is created with `congdan user create` and signs in on the pages as a browser does (the
password, then a TOTP code from the secret shown at enrolment), so that every measured request
carries a real staff session cookie.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pyotp
from harness import (
    CENTRE_LAT,
    CENTRE_LONG,
    Postgres,
    congdan_command,
    congdan_env,
    fresh_database,
    is_loopback,
    machine,
    pg_info,
    serve,
    stop_server,
    throwaway_data_key,
    upgrade_database,
    write_json,
)
from load import LoadResult, outcome, run_load
from measure import server_cpu_s

AGENCY = "so_xay_dung"
EMAIL = "can-bo.bench@congdan.example"
PASSWORD = "mat-khau-bench-dai-du-12"

# Closed reports of every agency over five years; due dates in the past.
CLOSED = """
INSERT INTO reports (id, tracking_code, kind, description, search_text, status, category_code,
                     agency_code, area_code, lat, lon, area_approximate, is_public, hide_identity,
                     due_at, created_at, updated_at, closed_at)
SELECT gen_random_uuid(), 'B' || lpad(i::text, 10, '0'), 'report',
       'Ổ gà lớn trước số ' || i % 300 || ' đường Nguyễn Huệ', 'o ga lon truoc so nguyen hue',
       CASE WHEN i % 20 = 0 THEN 'rejected' WHEN i % 20 = 1 THEN 'duplicate' ELSE 'closed' END,
       c.codes[1 + i % c.n], c.agencies[1 + i % c.n], z.codes[1 + i % z.n],
       $1 + ((i::bigint * 7919) % 4000 - 2000) / 111320.0,
       $2 + ((i::bigint * 104729) % 4000 - 2000) / 111320.0,
       false, i % 3 > 0, false,
       now() - (i % 1825) * interval '1 day' + interval '5 days',
       now() - (i % 1825) * interval '1 day', now() - (i % 1825) * interval '1 day',
       now() - (i % 1825) * interval '1 day' + interval '3 days'
FROM generate_series(1, $3) AS i,
     (SELECT array_agg(code ORDER BY code) AS codes, array_agg(default_agency_code ORDER BY code) AS agencies,
             count(*)::int AS n FROM categories WHERE default_agency_code IS NOT NULL) AS c,
     (SELECT array_agg(code ORDER BY code) AS codes, count(*)::int AS n FROM areas) AS z
"""

# Open reports: `$3` of them for the measured agency, due from ten days ago to ten days ahead, with
# the deadline sweeps' marks already set (reminded, overdue, escalated), as on a server that has been
# running: the bench measures the pages, not a first sweep over thousands of late reports.
OPEN = """
INSERT INTO reports (id, tracking_code, kind, description, search_text, status, category_code,
                     agency_code, area_code, lat, lon, area_approximate, is_public, hide_identity,
                     due_at, due_soon_at, overdue_at, progress_required_at, escalated_at,
                     reopened_at, created_at, updated_at)
SELECT gen_random_uuid(), 'O' || lpad(g.i::text, 10, '0'), 'report',
       'Nắp hố ga bị vỡ trước số ' || g.i % 300 || ' đường Lê Lợi', 'nap ho ga bi vo truoc so le loi',
       (ARRAY['assigned', 'in_progress', 'reopened', 'assigned'])[1 + g.i % 4],
       c.codes[1 + g.i % c.n], $4, z.codes[1 + g.i % z.n],
       $1 + ((g.i * 7919) % 4000 - 2000) / 111320.0, $2 + ((g.i * 104729) % 4000 - 2000) / 111320.0,
       false, true, false,
       g.due, CASE WHEN g.due < now() + interval '1 day' THEN g.due - interval '1 day' END,
       CASE WHEN g.due <= now() THEN g.due END, CASE WHEN g.due <= now() THEN g.due END,
       CASE WHEN g.due <= now() THEN g.due END, CASE WHEN g.i % 4 = 2 THEN now() - interval '2 days' END,
       now() - (g.i % 20) * interval '1 day', now() - (g.i % 20) * interval '1 day'
FROM (SELECT i::bigint AS i, now() + ((i % 480) - 240) * interval '1 hour' AS due
        FROM generate_series(1, $3) AS i) AS g,
     (SELECT array_agg(code ORDER BY code) AS codes, count(*)::int AS n FROM categories
       WHERE default_agency_code = $4) AS c,
     (SELECT array_agg(code ORDER BY code) AS codes, count(*)::int AS n FROM areas) AS z
"""

EVENTS = """
INSERT INTO report_events (id, report_id, type, from_status, to_status, actor_role, agency_code,
                           is_public, created_at)
SELECT gen_random_uuid(), r.id, 'status', s.from_status, s.to_status, s.role, r.agency_code, true,
       r.created_at + s.after
FROM reports r,
     (VALUES (NULL, 'submitted', 'resident', interval '0'),
             ('submitted', 'assigned', 'system', interval '1 minute'))
       AS s(from_status, to_status, role, after)
"""

SECRET = re.compile(r'<code id="secret" class="secret">([A-Z2-7 ]+)</code>')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def fill(pg: Postgres, database: str, total: int, open_count: int, log: list[str]) -> dict[str, Any]:
    conn = await pg.connect(database)
    try:
        started = time.perf_counter()
        await conn.execute("SET synchronous_commit = off")
        await conn.execute(OPEN, CENTRE_LAT, CENTRE_LONG, open_count, AGENCY, timeout=3600)
        await conn.execute(CLOSED, CENTRE_LAT, CENTRE_LONG, total - open_count, timeout=3600)
        await conn.execute(EVENTS, timeout=3600)
        await conn.execute("VACUUM ANALYZE reports", timeout=3600)
        await conn.execute("VACUUM ANALYZE report_events", timeout=3600)
        seconds = time.perf_counter() - started
        counts = {
            "reports": await conn.fetchval("SELECT count(*) FROM reports"),
            "open_for_agency": await conn.fetchval(
                "SELECT count(*) FROM reports WHERE agency_code = $1 AND status NOT IN "
                "('closed', 'rejected', 'duplicate', 'resolved')",
                AGENCY,
            ),
            "events": await conn.fetchval("SELECT count(*) FROM report_events"),
        }
    finally:
        await conn.close()
    log.append(f"filled in {seconds:.0f} s: {counts}")
    return {"fill_s": round(seconds, 1), **counts}


async def sample_reports(pg: Postgres, database: str) -> list[str]:
    """500 of the agency's open reports, at random, for the report page."""
    conn = await pg.connect(database)
    try:
        rows = await conn.fetch(
            "SELECT id FROM reports WHERE agency_code = $1 AND tracking_code LIKE 'O%' "
            "ORDER BY random() LIMIT 500",
            AGENCY,
        )
    finally:
        await conn.close()
    return [str(row["id"]) for row in rows]


async def filled_before(pg: Postgres, database: str) -> dict[str, Any] | None:
    """The counts of a database a previous run filled and kept, or None if there is none."""
    try:
        conn = await pg.connect(database)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        if await conn.fetchval("SELECT to_regclass('reports')") is None:
            return None
        if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM reports)"):
            return None
        return {"reused": True, "reports": await conn.fetchval("SELECT count(*) FROM reports")}
    finally:
        await conn.close()


def create_officer(env: dict[str, str], log: list[str]) -> None:
    command = [*congdan_command(), "user", "create", "--email", EMAIL, "--role", "agency_officer"]
    command += ["--agency", AGENCY, "--name", "Cán bộ đo tải", "--password-stdin"]
    log.append(" ".join(command))
    subprocess.run(command, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)


async def sign_in(client: httpx.AsyncClient, secret_file: Path) -> None:
    """The password, then a code from the secret the enrolment page shows (the client keeps the
    session cookie). The secret is kept in `secret_file` for the next sign-in, which the page no
    longer shows it to; a code is used once, so that one waits for the next."""
    page = await client.get("/staff/")
    csrf = CSRF.search(page.text)
    assert csrf, page.text
    r = await client.post(
        "/staff/dang-nhap",
        data={"csrf_token": csrf.group(1), "email": EMAIL, "password": PASSWORD, "next": "/staff/"},
    )
    assert r.status_code == 303, r.text
    factor = await client.get(r.headers["location"])
    shown, csrf = SECRET.search(factor.text), CSRF.search(factor.text)
    assert csrf, factor.text
    code = await asyncio.to_thread(_unused_code, secret_file, shown.group(1) if shown else None)
    answer = {"csrf_token": csrf.group(1), "code": code, "next": "/staff/"}
    r = await client.post("/staff/xac-thuc", data=answer)
    assert r.status_code in (200, 303), r.text


def _unused_code(secret_file: Path, shown: str | None) -> str:
    if shown:
        secret_file.write_text(shown.replace(" ", ""))
    totp = pyotp.TOTP(secret_file.read_text().strip())
    used = secret_file.with_suffix(".used")
    while used.exists() and used.read_text() == str(totp.timecode(datetime.now(UTC))):
        time.sleep(1)
    used.write_text(str(totp.timecode(datetime.now(UTC))))
    return totp.now()


def page_load(paths: list[str]) -> Any:
    async def request(client: httpx.AsyncClient, rng: random.Random) -> tuple[bool, str]:
        response = await client.get(rng.choice(paths))
        ok, label = outcome(response, 200)
        if ok and 'name="csrf_token"' not in response.text and "<main" not in response.text:
            return False, "not a page"
        return ok, label

    return request


@contextlib.asynccontextmanager
async def database_for(pg: Postgres, kept: str | None) -> AsyncIterator[tuple[str, Path, bool]]:
    """The database, the data folder, and whether both were filled by an earlier run. A kept
    database (`--database NAME`) keeps its data folder too, with the data key the officer's email is
    sealed under and the secret its look-up hash is keyed with."""
    if kept is None:
        async with fresh_database(pg) as name:
            yield name, Path(tempfile.mkdtemp(prefix="congdan-bench-workbench-")) / "data", False
        return
    data = Path(tempfile.gettempdir()) / f"congdan-bench-{kept}" / "data"
    reused = await filled_before(pg, kept) is not None and (data / "data.key").exists()
    if not reused:
        await pg.admin(f'DROP DATABASE IF EXISTS "{kept}" WITH (FORCE)')
        await pg.admin(f'CREATE DATABASE "{kept}"')
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        (data / "data.key").write_text(throwaway_data_key())
    yield kept, data, reused


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    pg = Postgres(args.pg_host, args.pg_port, args.pg_user)
    log: list[str] = []
    async with database_for(pg, args.database) as (name, data, reused):
        kept_key = {"data_key": (data / "data.key").read_text().strip()} if args.database else {}
        env = congdan_env(pg.sqlalchemy_url(name), data, rate_limits_enabled="false", **kept_key)
        if reused:
            filled = {"reused": True, **(await filled_before(pg, name) or {})}
            log.append(f"reused database {name}: {filled}")
        else:
            await upgrade_database(env, log)
            filled = await fill(pg, name, args.reports, args.open, log)
            create_officer(env, log)
        reports = await sample_reports(pg, name)
        runs = {}
        for processes in args.workers:
            log.append(f"congdan serve --workers {processes}")
            runs[f"workers_{processes}"] = await measure(args, env, data.parent, processes, reports)
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "postgres": await pg_info(pg, name),
            "data": filled,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "duration_s": args.duration,
            "results": runs,
            "log": log,
        }


async def measure(
    args: argparse.Namespace, env: dict[str, str], folder: Path, processes: int, reports: list[str]
) -> dict[str, Any]:
    """One `congdan serve --workers N`, signed in, every target in interleaved rounds."""
    command = [*congdan_command(), "serve", "--workers", str(processes)]
    served = await serve(command, env, folder / f"server-{processes}.log")
    try:
        async with httpx.AsyncClient(base_url=served.base_url, timeout=60) as client:
            await sign_in(client, folder / "totp.secret")
            targets = {
                "healthz": ["/healthz"],
                "queue": ["/staff/"],
                "queue_filtered": ["/staff/?due=overdue", "/staff/?due=soon", "/staff/?reopened=1"],
                "report_page": [f"/staff/reports/{rid}" for rid in reports],
            }
            results: dict[str, LoadResult] = {}
            cpu_s: dict[str, float] = {}
            for _round in range(args.rounds):  # interleaved, so that a busy spell hits every target
                for label, paths in targets.items():
                    before = server_cpu_s(served.proc.pid)
                    got = await run_load(
                        client,
                        label,
                        page_load(paths) if label != "healthz" else _healthz,
                        concurrency=args.concurrency,
                        duration=args.duration,
                        seed=args.seed,
                    )
                    cpu_s[label] = cpu_s.get(label, 0.0) + server_cpu_s(served.proc.pid) - before
                    results[label] = _merge(results.get(label), got)
    finally:
        stop_server(served.proc)
    return {label: _with_cpu(r.summary(), cpu_s[label]) for label, r in results.items()}


def _with_cpu(summary: dict[str, Any], cpu_s: float) -> dict[str, Any]:
    done = summary["successes"] + summary["error_count"]
    return {
        **summary,
        "server_cpu_s": round(cpu_s, 2),
        "cpu_ms_per_request": round(1000 * cpu_s / done, 2) if done else None,
    }


async def _healthz(client: httpx.AsyncClient, rng: random.Random) -> tuple[bool, str]:
    return outcome(await client.get("/healthz"), 200)


def _merge(before: LoadResult | None, more: LoadResult) -> LoadResult:
    if before is None:
        return more
    before.elapsed_s += more.elapsed_s
    before.successes += more.successes
    before.outcomes.update(more.outcomes)
    before.latencies_ms += more.latencies_ms
    return before


def table(result: dict[str, Any]) -> str:
    lines = [
        "| processes | page | requests | p50 ms | p95 ms | p99 ms | p95 over /healthz p95 "
        "| CPU ms/request | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run, figures_of in result["results"].items():
        floor = figures_of["healthz"]["latency_ms"]
        for label, figures in figures_of.items():
            ms = figures["latency_ms"]
            over = ms["p95"] / floor["p95"] if ms["p95"] and floor["p95"] else None
            lines.append(
                f"| {run.removeprefix('workers_')} | {label} | {figures['successes']} | {ms['p50']} | "
                f"{ms['p95']} | {ms['p99']} | {f'{over:.1f}×' if over else '—'} | "
                f"{figures['cpu_ms_per_request']} | {figures['error_count']} |"
            )
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Workbench pages on a city-sized database, next to /healthz.")
    p.add_argument("--reports", type=int, default=1_000_000)
    p.add_argument("--open", type=int, default=10_000, help="open reports of the measured agency")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per target per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", type=Path, default=None, metavar="OUT")
    p.add_argument("--pg-host", default="127.0.0.1")
    p.add_argument("--pg-port", type=int, default=5432)
    p.add_argument("--pg-user", default="postgres")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="`serve --workers` values, each measured"
    )
    p.add_argument(
        "--database",
        default=None,
        metavar="NAME",
        help="fill this database once and keep it (and its data folder) for the next run",
    )
    args = p.parse_args()
    if not is_loopback(args.pg_host):
        p.error("loopback only")
    if args.database is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        p.error("--database: lower-case letters, digits and _")
    if not 0 < args.open < args.reports:
        p.error("--open must be between 0 and --reports")
    return args


def main() -> None:
    args = parse_args()
    result = asyncio.run(bench(args))
    print(table(result))
    write_json(args.json, result)
    runs = result["results"].values()
    sys.exit(0 if all(r["error_count"] == 0 for figures in runs for r in figures.values()) else 1)


if __name__ == "__main__":
    main()
