#!/usr/bin/env python3
"""Benchmark of automatic routing: classifier accuracy and speed, and POST /api/v1/reports/suggest.

    python bench/routing.py [--duration S] [--concurrency N] [--reports N] [--json OUT]

What it does, in order:
1. Accuracy (in-process): trains the classifier on routing/corpus/train.tsv exactly as
   `congdan classifier train` does and evaluates it on the held-out split (top-1, top-3, recall per
   category), also on the held-out texts stripped of their diacritics. Reference in the same run: a
   plain bag-of-words naive Bayes on the raw text, trained and tested on the same split.
2. Speed (in-process): classifications per second, one text per call (what a request does) and in
   batches of 256, next to the naive Bayes reference one text per call.
3. /reports/suggest against a real server on PostgreSQL (fresh database `congdan_bench_<random>`,
   `congdan db upgrade`, `congdan serve --no-worker`): N reports are submitted around the city
   centre so that duplicate search has work to do, then GET /healthz (the floor: HTTP and framework
   only) and POST /reports/suggest with held-out texts at random points are each run for S seconds
   at the same concurrency. Latency p50/p95/p99 over successful answers.
The server is stopped and the database dropped whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from harness import (
    CENTRE_LAT,
    CENTRE_LONG,
    Postgres,
    congdan_command,
    congdan_env,
    fresh_database,
    git_revision,
    loadavg,
    machine,
    serve,
    stop_server,
    upgrade_database,
    write_json,
)
from load import outcome, report_body, run_load

from congdan.routing.classifier import Example, evaluate, heldout_corpus, train, training_corpus
from congdan.routing.normalise import folded


def baseline(train_rows: list[Example]) -> Any:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(CountVectorizer(lowercase=True), MultinomialNB(alpha=0.1))
    model.fit([e.text for e in train_rows], [e.category for e in train_rows])
    return model


def baseline_accuracy(model: Any, rows: list[Example]) -> dict[str, float]:
    probabilities = model.predict_proba([e.text for e in rows])
    classes = list(model.classes_)
    top1 = top3 = 0
    for row, example in zip(probabilities, rows, strict=True):
        order = sorted(range(len(classes)), key=lambda i: -row[i])[:3]
        codes = [classes[i] for i in order]
        top1 += codes[0] == example.category
        top3 += example.category in codes
    return {"top1": round(top1 / len(rows), 4), "top3": round(top3 / len(rows), 4)}


def rate(call: Any, items: list[Any], min_seconds: float) -> float:
    """Calls per second of call(item), cycling over items for at least min_seconds."""
    done = 0
    start = time.perf_counter()
    while True:
        for item in items:
            call(item)
            done += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def accuracy_and_speed(seconds: float) -> dict[str, Any]:
    train_rows, heldout = training_corpus(), heldout_corpus()
    t0 = time.perf_counter()
    classifier = train(train_rows)
    train_s = time.perf_counter() - t0
    ours = evaluate(classifier, heldout)
    stripped = evaluate(classifier, [Example(e.category, folded(e.text)) for e in heldout])
    reference = baseline(train_rows)
    texts = [e.text for e in heldout]
    batches = [texts[i : i + 256] for i in range(0, len(texts), 256)]
    one = rate(lambda t: classifier.rank(t, 5), texts, seconds)
    batched = rate(lambda b: classifier.rank_many(b, 5), batches, seconds) * (len(texts) / len(batches))
    reference_one = rate(lambda t: reference.predict_proba([t]), texts, seconds)
    return {
        "train_examples": len(train_rows),
        "heldout_examples": len(heldout),
        "train_seconds": round(train_s, 2),
        "heldout": ours.as_dict(),
        "heldout_without_diacritics": {"top1": stripped.top1, "top3": stripped.top3},
        "reference_naive_bayes": {
            "heldout": baseline_accuracy(reference, heldout),
            "heldout_without_diacritics": baseline_accuracy(
                reference, [Example(e.category, folded(e.text)) for e in heldout]
            ),
        },
        "classifications_per_s": {
            "one_per_call": round(one, 1),
            "batches_of_256": round(batched, 1),
            "reference_naive_bayes_one_per_call": round(reference_one, 1),
        },
    }


def random_point(rng: random.Random, radius_m: float = 2000.0) -> tuple[float, float]:
    distance = radius_m * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111_320.0
    dlon = distance * math.sin(bearing) / (111_320.0 * math.cos(math.radians(CENTRE_LAT)))
    return round(CENTRE_LAT + dlat, 6), round(CENTRE_LONG + dlon, 6)


async def suggest_latency(args: argparse.Namespace) -> dict[str, Any]:
    pg = Postgres(args.pg_host, args.pg_port, args.pg_user)
    tmp = Path(tempfile.mkdtemp(prefix="congdan-bench-"))
    proc: subprocess.Popen[bytes] | None = None
    texts = [e.text for e in heldout_corpus()]
    try:
        async with fresh_database(pg) as database:
            # The whole load comes from one address; the per-client limits would refuse most of it.
            env = congdan_env(pg.sqlalchemy_url(database), tmp / "data", rate_limits_enabled="false")
            await upgrade_database(env)
            served = await serve([*congdan_command(), "serve", "--no-worker"], env, tmp / "server.log")
            proc = served.proc
            return await _measure_suggest(args, served.base_url, texts) | {
                "database": database,
                "server": " ".join(served.command),
            }
    finally:
        if proc is not None:
            stop_server(proc)


async def _measure_suggest(args: argparse.Namespace, base_url: str, texts: list[str]) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=args.concurrency * 2)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits, trust_env=False) as client:
        rng = random.Random(args.seed)
        for start in range(0, args.reports, 50):
            batch = [report_body(rng) for _ in range(min(50, args.reports - start))]
            answers = await asyncio.gather(*(client.post("/api/v1/reports", json=b) for b in batch))
            bad = [a.status_code for a in answers if a.status_code != 201]
            if bad:
                raise RuntimeError(f"seeding reports failed: {bad[:5]}")

        async def healthz(c: httpx.AsyncClient, r: random.Random) -> tuple[bool, str]:
            return outcome(await c.get("/healthz"), 200)

        async def suggest(c: httpx.AsyncClient, r: random.Random) -> tuple[bool, str]:
            lat, lon = random_point(r)
            body = {"description": r.choice(texts), "lat": lat, "long": lon}
            return outcome(await c.post("/api/v1/reports/suggest", json=body), 200)

        await run_load(client, "warmup", suggest, concurrency=args.concurrency, duration=2, seed=args.seed)
        floor = await run_load(
            client,
            "healthz",
            healthz,
            concurrency=args.concurrency,
            duration=args.duration,
            seed=args.seed,
        )
        measured = await run_load(
            client,
            "suggest",
            suggest,
            concurrency=args.concurrency,
            duration=args.duration,
            seed=args.seed,
        )
        sample = (
            await client.post(
                "/api/v1/reports/suggest",
                json={"description": texts[0], "lat": CENTRE_LAT, "long": CENTRE_LONG},
            )
        ).json()
    return {
        "seeded_reports": args.reports,
        "floor_healthz": floor.summary(),
        "suggest": measured.summary(),
        "duplicates_in_sample_answer": len(sample.get("duplicates", [])),
    }


def markdown(f: dict[str, Any]) -> str:
    a = f["accuracy"]
    h, ref = a["heldout"], a["reference_naive_bayes"]
    speed = a["classifications_per_s"]
    lines = [
        f"| held-out ({a['heldout_examples']} texts) | ours | reference: naive Bayes on raw words |",
        "|---|---|---|",
        f"| top-1 | {h['top1']:.1%} | {ref['heldout']['top1']:.1%} |",
        f"| top-3 | {h['top3']:.1%} | {ref['heldout']['top3']:.1%} |",
        f"| top-1, diacritics stripped | {a['heldout_without_diacritics']['top1']:.1%} "
        f"| {ref['heldout_without_diacritics']['top1']:.1%} |",
        f"| top-3, diacritics stripped | {a['heldout_without_diacritics']['top3']:.1%} "
        f"| {ref['heldout_without_diacritics']['top3']:.1%} |",
        f"| classifications/s, one per call | {speed['one_per_call']:.0f} "
        f"| {speed['reference_naive_bayes_one_per_call']:.0f} |",
        f"| classifications/s, batches of 256 | {speed['batches_of_256']:.0f} | |",
        "",
        "Recall per category: "
        + ", ".join(f"{k} {v:.0%}" for k, v in sorted(h["per_category"].items(), key=lambda kv: kv[1])),
    ]
    if "http" in f:
        s, fl = f["http"]["suggest"], f["http"]["floor_healthz"]
        lines += [
            "",
            f"| HTTP, concurrency {s['concurrency']} | req/s | p50 ms | p95 ms | p99 ms | errors |",
            "|---|---|---|---|---|---|",
            f"| GET /healthz (floor) | {fl['rps']} | {fl['latency_ms']['p50']} | {fl['latency_ms']['p95']} "
            f"| {fl['latency_ms']['p99']} | {fl['error_count']} |",
            f"| POST /reports/suggest | {s['rps']} | {s['latency_ms']['p50']} | {s['latency_ms']['p95']} "
            f"| {s['latency_ms']['p99']} | {s['error_count']} |",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--reports", type=int, default=2000, help="reports seeded before measuring suggest")
    parser.add_argument("--speed-seconds", type=float, default=3.0)
    parser.add_argument("--no-http", action="store_true", help="accuracy and in-process speed only")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {
        "benchmark": "routing: classifier accuracy and speed, POST /api/v1/reports/suggest",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "machine": machine(),
        "code": git_revision(),
    }
    print("accuracy and in-process speed …", file=sys.stderr)
    figures["accuracy"] = accuracy_and_speed(args.speed_seconds)
    if not args.no_http:
        print(f"suggest over HTTP: {args.reports} reports, {args.duration} s per phase …", file=sys.stderr)
        figures["http"] = asyncio.run(suggest_latency(args))
    figures["machine"]["loadavg_at_end"] = loadavg()
    print(markdown(figures))
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
