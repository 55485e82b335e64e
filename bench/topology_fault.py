"""The fault test of the whole topology (deploy/topology.py): residents submit reports with photos
through the load balancer, with Idempotency-Keys and retries, while the harness kills one `serve`
instance, kills one worker, restarts Redis, and stops and starts the replica. Afterwards every
acknowledged report exists exactly once with its photo readable from the bucket, the outbox has
drained, a live update reached an SSE client connected to another instance than the one that
caused it, and no answer but 503 was a 5xx.

    python bench/topology_fault.py --short      # about a minute; in .ci/run
    python bench/topology_fault.py              # the full form: longer, more residents
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))
import topology  # deploy/ is not a package
from crash_checks import verify, wait_drain

PASSWORD = "mat-khau-kiem-thu-2026"


@dataclass
class Figures:
    statuses: Counter[str] = field(default_factory=Counter)
    acknowledged: dict[str, str] = field(default_factory=dict)
    photos: dict[str, str] = field(default_factory=dict)
    bad_5xx: list[str] = field(default_factory=list)
    gave_up: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    live_events: list[dict[str, Any]] = field(default_factory=list)


def _photo(rng: random.Random) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 72), tuple(rng.randrange(256) for _ in range(3))).save(out, "JPEG")
    return out.getvalue()


async def _retrying(
    figures: Figures, label: str, send: Any, *, window: float = 90.0
) -> httpx.Response | None:
    """Sends until a 2xx; 503, 409 (the same key still held by a request in flight — for up to
    CONGDAN_IDEMPOTENCY_LOCK_SECONDS, 60, when its instance was killed), 429 and broken
    connections are retried with the same key, as the app does."""
    started = time.monotonic()
    tries = 0
    while time.monotonic() - started < window:
        tries += 1
        try:
            r: httpx.Response = await send()
        except httpx.HTTPError:
            figures.statuses["connection error"] += 1
            await asyncio.sleep(min(0.1 * 2**tries, 1.0))
            continue
        figures.statuses[str(r.status_code)] += 1
        if r.status_code < 300:
            return r
        if r.status_code >= 500 and r.status_code != 503:
            figures.bad_5xx.append(f"{label}: {r.status_code} {r.text[:200]}")
        elif r.status_code < 500 and r.status_code not in (409, 429):
            raise AssertionError(f"{label}: unexpected {r.status_code} {r.text[:300]}")
        await asyncio.sleep(min(0.1 * 2**tries, 1.0))
    figures.gave_up.append(label)
    return None


async def resident(index: int, lb: str, stop: asyncio.Event, figures: Figures) -> None:
    rng = random.Random(index)
    # Each resident from an address of their own (HAProxy appends its own, which serve trusts), so
    # the per-client rate limits count them apart as they would count real phones.
    own = {"X-Forwarded-For": f"198.51.100.{10 + index}"}
    async with httpx.AsyncClient(
        base_url=lb, timeout=httpx.Timeout(10.0, connect=2.0), headers=own
    ) as http:
        while not stop.is_set():
            key = f"crash-{uuid.uuid4()}"
            photo = _photo(rng)

            def send_photo(key: str = key, photo: bytes = photo) -> Any:
                files = {"file": ("p.jpg", photo, "image/jpeg")}
                return http.post("/api/v1/uploads", files=files, headers={"Idempotency-Key": f"{key}-photo"})

            upload = await _retrying(figures, f"{key} upload", send_photo)
            if upload is None:
                continue
            body = {
                "category": "road_damage",
                "description": f"Ổ gà sâu trước số {rng.randrange(1, 300)} đường Lê Lợi [{key}]",
                "location": {
                    "lat": 10.7725 + rng.uniform(-0.01, 0.01),
                    "long": 106.698 + rng.uniform(-0.01, 0.01),
                },
                "photos": [upload.json()["id"]],
            }

            def send_report(key: str = key, body: dict[str, Any] = body) -> Any:
                return http.post("/api/v1/reports", json=body, headers={"Idempotency-Key": key})

            made = await _retrying(figures, key, send_report)
            if made is not None:
                figures.acknowledged[key] = made.json()["id"]
                figures.photos[key] = upload.json()["url"]


async def listen(url: str, figures: Figures, ready: asyncio.Event) -> None:
    """A browser-like SSE client held open on one instance, reconnecting as a browser would."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(None, connect=2.0)) as http:
        while True:
            try:
                async with http.stream("GET", url, headers={"Accept": "text/event-stream"}) as r:
                    async for line in r.aiter_lines():
                        if line.startswith("event: ready"):
                            ready.set()
                        if line.startswith("data: {"):
                            figures.live_events.append(json.loads(line.removeprefix("data: ")))
            except httpx.HTTPError:
                await asyncio.sleep(0.5)


def _kill(state: dict[str, Any], name: str) -> None:
    os.killpg(state["pids"][name], signal.SIGKILL)


async def disrupt(state: dict[str, Any], duration: float, figures: Figures) -> None:
    step = duration / 6
    steps: list[tuple[str, Any]] = [
        ("kill -9 serve0", lambda: _kill(state, "serve0")),
        ("restart serve0", lambda: topology.restart_part(state, "serve0")),
        ("kill -9 worker0", lambda: _kill(state, "worker0")),
        ("restart worker0", lambda: topology.restart_part(state, "worker0")),
        ("restart Redis", lambda: _restart_redis(state)),
        ("stop the replica", lambda: _pg(state, "replica", "stop")),
    ]
    for label, action in steps:
        await asyncio.sleep(step)
        action()
        figures.faults.append(f"{time.strftime('%H:%M:%S')} {label}")
    await asyncio.sleep(step / 2)
    _pg(state, "replica", "start")
    figures.faults.append(f"{time.strftime('%H:%M:%S')} start the replica")


def _restart_redis(state: dict[str, Any]) -> None:
    port = str(state["ports"]["redis"])
    subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], capture_output=True, check=False)
    time.sleep(0.5)
    topology.start_redis(state)


def _pg(state: dict[str, Any], cluster: str, action: str) -> None:
    root = Path(state["root"]) / "pg"
    topology._pg_ctl(root / cluster, state["ports"][cluster], root / f"{cluster}.log", action)


async def _officer(state: dict[str, Any], lb: str, agency: str) -> dict[str, str]:
    email = f"officer.{uuid.uuid4().hex[:6]}@example.vn"
    create = [topology._congdan(), "user", "create", "--email", email, "--role", "agency_officer"]
    await asyncio.to_thread(
        subprocess.run,
        [*create, "--agency", agency, "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        env=os.environ | state["env"],
        check=True,
        capture_output=True,
    )
    async with httpx.AsyncClient(base_url=lb, timeout=10) as http:
        enrol = await http.post("/api/v1/auth/login/enrol", json={"email": email, "password": PASSWORD})
        enrol.raise_for_status()
        code = pyotp.TOTP(enrol.json()["secret"]).now()
        login = await http.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD, "totp": code}
        )
        login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    state: dict[str, Any] = topology.start(args.dir, args.base_port)  # type: ignore[assignment]
    try:
        return await _exercise(state, args)
    finally:
        if not args.keep:
            topology.stop(args.dir)


async def _exercise(state: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    ports = state["ports"]
    lb = f"http://127.0.0.1:{ports['lb']}"
    figures = Figures()
    async with httpx.AsyncClient(base_url=lb, timeout=10) as http:
        probe = await http.post(
            "/api/v1/reports",
            json={"category": "road_damage", "description": "Ổ gà cần theo dõi trực tiếp, đường Hàm Nghi",
                  "location": {"lat": 10.771, "long": 106.703}},
        )
        probe.raise_for_status()
    watched = probe.json()
    officer = await _officer(state, lb, watched["agency"]["code"])
    ready = asyncio.Event()
    # On serve2; the change below goes through serve1 and its event through a worker and Redis.
    listener = asyncio.create_task(
        listen(f"http://127.0.0.1:{ports['serve2']}/api/v1/reports/{watched['id']}/live", figures, ready)
    )
    await asyncio.wait_for(ready.wait(), timeout=30)

    stop = asyncio.Event()
    started = time.monotonic()
    residents = [asyncio.create_task(resident(i, lb, stop, figures)) for i in range(args.residents)]
    await disrupt(state, args.duration, figures)
    stop.set()
    await asyncio.gather(*residents)
    load_seconds = time.monotonic() - started

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['serve1']}", timeout=10) as http:
        moved = await http.post(
            f"/api/v1/reports/{watched['id']}/transitions", json={"to": "in_progress"}, headers=officer
        )
        moved.raise_for_status()
    primary = state["env"]["CONGDAN_DATABASE_URL"]
    drain = await wait_drain(primary, limit=180)
    deadline = time.monotonic() + 30
    while not _live_seen(figures) and time.monotonic() < deadline:  # noqa: ASYNC110 - a list filled by the listener
        await asyncio.sleep(0.2)
    listener.cancel()

    checked = await verify(primary, figures.acknowledged)
    unreadable = []
    async with httpx.AsyncClient(base_url=lb, timeout=10) as http:
        for key, url in figures.photos.items():
            r = await _served(http, url)
            if r.status_code != 200 or not r.content.startswith(b"\xff\xd8"):
                unreadable.append(key)
    return {
        "residents": args.residents,
        "load_seconds": round(load_seconds, 1),
        "acknowledged": len(figures.acknowledged),
        "lost": len(checked["missing"]) + len(checked["wrong_id"]),
        "duplicated": len(checked["duplicated"]),
        "outbox_not_done": len(checked["outbox_not_done"]),
        "photos_unreadable": len(unreadable),
        "drain_seconds_after_load": round(drain, 1),
        "answers": dict(figures.statuses),
        "answers_503": figures.statuses.get("503", 0),
        "other_5xx": figures.bad_5xx[:20],
        "gave_up": len(figures.gave_up),
        "gave_up_on": figures.gave_up[:10],
        "live_update_reached_other_instance": _live_seen(figures),
        "faults": figures.faults,
    }


async def _served(http: httpx.AsyncClient, url: str) -> httpx.Response:
    """The photo as a resident gets it. Every request of this run comes from one address, and its
    limit (600 a minute) is spent long before the full form has checked its thousands of photos:
    a 429 is waited out as its Retry-After says, not counted as a photo lost."""
    for _ in range(10):
        r = await http.get(url)
        if r.status_code != 429:
            return r
        await asyncio.sleep(float(r.headers.get("retry-after", "1")))
    return r


def _live_seen(figures: Figures) -> bool:
    return any(e.get("status") == "in_progress" for e in figures.live_events)


def failures(result: dict[str, Any]) -> list[str]:
    found = []
    for name in ("lost", "duplicated", "outbox_not_done", "photos_unreadable", "gave_up"):
        if result[name]:
            found.append(f"{name}: {result[name]}")
    if result["other_5xx"]:
        found.append(f"5xx other than 503: {result['other_5xx']}")
    if not result["live_update_reached_other_instance"]:
        found.append("the live update did not reach the SSE client on another instance")
    if result["acknowledged"] < result["residents"]:
        found.append("too few reports acknowledged to mean anything")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/congdan-topology-fault"))
    parser.add_argument("--base-port", type=int, default=18500)
    parser.add_argument("--keep", action="store_true", help="leave the topology running")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.duration = 24.0 if args.short else 120.0
    args.residents = 6 if args.short else 24
    result = asyncio.run(run(args))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    problems = failures(result)
    if problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        raise SystemExit(1)
    print("topology fault test passed")


if __name__ == "__main__":
    main()
