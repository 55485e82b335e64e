#!/usr/bin/env python3
"""How fast the procedure catalogue answers a search.

    python bench/catalogue_search.py [--rounds N] [--json PATH]

Two figures, each with a reference from the same run: the search function over the index of the
seeded catalogue (against folding the query alone), and GET /api/v1/procedures?q= on a real
`congdan serve` over a fresh SQLite database (against GET /healthz on the same server), one
request at a time. The queries are residents' words, unaccented and misspelt.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness
import httpx

from congdan.catalogue import search
from congdan.catalogue.procedures_family import FAMILY
from congdan.catalogue.procedures_work import WORK_AND_PROPERTY
from congdan.kit.text import fold
from congdan.models import ProcedureVersion

QUERIES = [
    "dang ki khai sin",
    "dang ky ket hon",
    "tam tru",
    "so do",
    "giay phep xay dung",
    "the bhyt",
    "mo quan an",
    "chung thuc ban sao",
    "xoa thuong tru",
    "doi ten",
    "ho kinh doanh",
    "khai tu",
]


def _index() -> search.Index:
    versions = [
        ProcedureVersion(
            procedure_code=p.code,
            number=1,
            name=p.name,
            field=p.field,
            level=p.level,
            online_mode=p.online_mode,
            processing_days=p.processing_days,
            fee_text=p.fee_text,
            content={"keywords": p.keywords, "life_events": p.life_events},
        )
        for p in (*FAMILY, *WORK_AND_PROPERTY)
    ]
    return search.build((None, len(versions)), versions)


def _timed(call: Callable[[str], Any], rounds: int) -> list[float]:
    took = []
    for i in range(rounds):
        q = QUERIES[i % len(QUERIES)]
        start = time.perf_counter()
        call(q)
        took.append((time.perf_counter() - start) * 1000)
    return took


def _figures(took: list[float]) -> dict[str, float | None]:
    return {
        "p50_ms": harness.rounded(harness.percentile(took, 0.50), 3),
        "p99_ms": harness.rounded(harness.percentile(took, 0.99), 3),
    }


async def _http(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        env = harness.congdan_env(
            f"sqlite+aiosqlite:///{data / 'bench.db'}", data, rate_limits_enabled="false"
        )
        await harness.upgrade_database(env)
        served = await harness.serve(
            [*harness.congdan_command(), "serve", "--no-worker"], env, data / "serve.log"
        )
        try:
            base = f"http://127.0.0.1:{served.port}"
            async with httpx.AsyncClient(base_url=base) as client:
                for q in QUERIES:  # the index is built by the first search
                    (await client.get("/api/v1/procedures", params={"q": q})).raise_for_status()
                searched, healthz = [], []
                for i in range(rounds):
                    start = time.perf_counter()
                    answer = await client.get("/api/v1/procedures", params={"q": QUERIES[i % len(QUERIES)]})
                    searched.append((time.perf_counter() - start) * 1000)
                    answer.raise_for_status()
                    start = time.perf_counter()
                    (await client.get("/healthz")).raise_for_status()
                    healthz.append((time.perf_counter() - start) * 1000)
        finally:
            harness.stop_server(served.proc)
    return {"GET /api/v1/procedures?q=": _figures(searched), "GET /healthz (reference)": _figures(healthz)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    index = _index()
    figures: dict[str, Any] = {
        "machine": harness.machine(),
        "procedures": len(index.entries),
        "search function": _figures(_timed(lambda q: search.search(index, q), args.rounds)),
        "fold alone (reference)": _figures(_timed(fold, args.rounds)),
    }
    figures.update(asyncio.run(_http(min(args.rounds, 1000))))
    for name, value in figures.items():
        print(f"{name}: {value}")
    harness.write_json(args.json, figures)


if __name__ == "__main__":
    main()
