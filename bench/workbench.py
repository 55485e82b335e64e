"""The workbench at city scale: the queue page and the report page of an officer whose agency has
10,000 open reports, in a PostgreSQL database of 1,000,000 reports, at concurrency 4, next to
`/healthz` measured in the same run on the same server (the floor: what any answer costs here).

    python bench/workbench.py --json bench/results/workbench.json

The reports are written with SQL (`generate_series`), two timeline events each, and analysed; the
officer is created with `congdan user create` and signs in on the pages as a browser does (the
password, then a TOTP code from the secret shown at enrolment), so that every measured request
carries a real staff session cookie.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    upgrade_database,
    write_json,
)
from load import LoadResult, outcome, run_load

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
        sample = [
            str(row["id"])
            for row in await conn.fetch(
                "SELECT id FROM reports WHERE agency_code = $1 AND tracking_code LIKE 'O%' "
                "ORDER BY random() LIMIT 500",
                AGENCY,
            )
        ]
    finally:
        await conn.close()
    log.append(f"filled in {seconds:.0f} s: {counts}")
    return {"fill_s": round(seconds, 1), **counts, "sample": sample}


def create_officer(env: dict[str, str], log: list[str]) -> None:
    command = [*congdan_command(), "user", "create", "--email", EMAIL, "--role", "agency_officer"]
    command += ["--agency", AGENCY, "--name", "Cán bộ đo tải", "--password-stdin"]
    log.append(" ".join(command))
    subprocess.run(command, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)


async def sign_in(client: httpx.AsyncClient) -> None:
    """The password, then a code from the secret the enrolment page shows (the client keeps the
    session cookie)."""
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
    assert shown and csrf, factor.text
    code = pyotp.TOTP(shown.group(1).replace(" ", "")).now()
    answer = {"csrf_token": csrf.group(1), "code": code, "next": "/staff/"}
    r = await client.post("/staff/xac-thuc", data=answer)
    assert r.status_code == 200, r.text


def page_load(paths: list[str]) -> Any:
    async def request(client: httpx.AsyncClient, rng: random.Random) -> tuple[bool, str]:
        response = await client.get(rng.choice(paths))
        ok, label = outcome(response, 200)
        if ok and 'name="csrf_token"' not in response.text and "<main" not in response.text:
            return False, "not a page"
        return ok, label

    return request


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    pg = Postgres(args.pg_host, args.pg_port, args.pg_user)
    log: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="congdan-bench-workbench-"))
    async with fresh_database(pg) as name:
        env = congdan_env(pg.sqlalchemy_url(name), tmp / "data", rate_limits_enabled="false")
        await upgrade_database(env, log)
        filled = await fill(pg, name, args.reports, args.open, log)
        create_officer(env, log)
        served = await serve([*congdan_command(), "serve"], env, tmp / "server.log")
        try:
            async with httpx.AsyncClient(base_url=served.base_url, timeout=60) as client:
                await sign_in(client)
                reports = filled.pop("sample")
                targets = {
                    "healthz": ["/healthz"],
                    "queue": ["/staff/"],
                    "queue_filtered": ["/staff/?due=overdue", "/staff/?due=soon", "/staff/?reopened=1"],
                    "report_page": [f"/staff/reports/{rid}" for rid in reports],
                }
                results: dict[str, LoadResult] = {}
                for _round in range(args.rounds):  # interleaved, so that a busy spell hits every target
                    for label, paths in targets.items():
                        got = await run_load(
                            client,
                            label,
                            page_load(paths) if label != "healthz" else _healthz,
                            concurrency=args.concurrency,
                            duration=args.duration,
                            seed=args.seed,
                        )
                        results[label] = _merge(results.get(label), got)
        finally:
            stop_server(served.proc)
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "postgres": await pg_info(pg, name),
            "data": filled,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "duration_s": args.duration,
            "results": {label: r.summary() for label, r in results.items()},
            "log": log,
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
    floor = result["results"]["healthz"]["latency_ms"]
    lines = [
        "| page | requests | p50 ms | p95 ms | p99 ms | p95 over /healthz p95 | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, figures in result["results"].items():
        ms = figures["latency_ms"]
        over = ms["p95"] / floor["p95"] if ms["p95"] and floor["p95"] else None
        lines.append(
            f"| {label} | {figures['successes']} | {ms['p50']} | {ms['p95']} | {ms['p99']} | "
            f"{f'{over:.1f}×' if over else '—'} | {figures['error_count']} |"
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
    args = p.parse_args()
    if not is_loopback(args.pg_host):
        p.error("loopback only")
    if not 0 < args.open < args.reports:
        p.error("--open must be between 0 and --reports")
    return args


def main() -> None:
    args = parse_args()
    result = asyncio.run(bench(args))
    print(table(result))
    write_json(args.json, result)
    sys.exit(0 if all(r["error_count"] == 0 for r in result["results"].values()) else 1)


if __name__ == "__main__":
    main()
