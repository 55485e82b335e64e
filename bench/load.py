"""The load generator of the HTTP benches: N workers send requests back to back for a while, and
the reports they send, spread over central Ho Chi Minh City."""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from harness import CENTRE_LAT, CENTRE_LONG, percentile, rounded

RADIUS_M = 2000.0
CATEGORIES = ("road_damage", "road_damage", "flooding_drainage", "garbage", "street_lighting", "trees")
STREETS = (
    "Lê Lợi",
    "Nguyễn Huệ",
    "Đồng Khởi",
    "Hai Bà Trưng",
    "Pasteur",
    "Nam Kỳ Khởi Nghĩa",
    "Lý Tự Trọng",
    "Tôn Đức Thắng",
    "Nguyễn Thị Minh Khai",
    "Điện Biên Phủ",
    "Võ Văn Kiệt",
    "Trần Hưng Đạo",
)
PROBLEMS = (
    "Ổ gà lớn giữa làn xe máy",
    "Mặt đường bị sụp lún sau trận mưa",
    "Nắp hố ga bị vỡ, rất nguy hiểm",
    "Nước ngập tới nửa bánh xe",
    "Rác thải chất đống trên vỉa hè",
    "Đèn đường không sáng cả tuần nay",
    "Cây xanh nghiêng, có nguy cơ ngã",
    "Vết nứt dài trên mặt đường nhựa",
)
DETAILS = (
    "xe máy dễ té khi trời tối.",
    "người đi bộ phải đi xuống lòng đường.",
    "kẹt xe vào giờ cao điểm buổi sáng.",
    "đã kéo dài nhiều ngày mà chưa ai xử lý.",
    "gần trường học nên học sinh đi lại rất khó khăn.",
    "mong cơ quan chức năng sớm kiểm tra.",
)


@dataclass
class LoadResult:
    name: str
    concurrency: int
    elapsed_s: float = 0.0
    successes: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def errors(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.outcomes.items()) if not k.startswith("ok")}

    @property
    def rps(self) -> float:
        return self.successes / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "concurrency": self.concurrency,
            "elapsed_s": round(self.elapsed_s, 3),
            "successes": self.successes,
            "errors": self.errors,
            "error_count": sum(self.errors.values()),
            "rps": round(self.rps, 2),
            "latency_ms": {
                "mean": round(sum(ordered) / len(ordered), 2) if ordered else None,
                **{f"p{int(q * 100)}": rounded(percentile(ordered, q)) for q in (0.5, 0.95, 0.99)},
                "max": rounded(ordered[-1] if ordered else None),
            },
        }


Request = Callable[[httpx.AsyncClient, random.Random], Awaitable[tuple[bool, str]]]


async def run_load(
    client: httpx.AsyncClient, name: str, request: Request, *, concurrency: int, duration: float, seed: int
) -> LoadResult:
    """N workers send requests back to back until the deadline; a request in flight at the deadline
    is finished and counted, and the elapsed time runs until the last one ends."""
    result = LoadResult(name=name, concurrency=concurrency)
    start = time.perf_counter()
    deadline = start + duration

    async def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                ok, label = await request(client, rng)
            except (httpx.HTTPError, OSError) as exc:
                ok, label = False, type(exc).__name__
            latency = (time.perf_counter() - t0) * 1000
            result.outcomes[label] += 1
            if ok:
                result.successes += 1
                result.latencies_ms.append(latency)

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    result.elapsed_s = time.perf_counter() - start
    return result


def report_body(rng: random.Random) -> dict[str, Any]:
    """A report somewhere within RADIUS_M of the centre, uniform over the disc."""
    distance = RADIUS_M * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111_320.0
    dlong = distance * math.sin(bearing) / (111_320.0 * math.cos(math.radians(CENTRE_LAT)))
    description = (
        f"{rng.choice(PROBLEMS)} trước số {rng.randint(1, 300)} đường {rng.choice(STREETS)}, "
        f"{rng.choice(DETAILS)}"
    )
    return {
        "category": rng.choice(CATEGORIES),
        "description": description,
        "location": {"lat": round(CENTRE_LAT + dlat, 6), "long": round(CENTRE_LONG + dlong, 6)},
    }


def outcome(response: httpx.Response, expected: int) -> tuple[bool, str]:
    ok = response.status_code == expected
    return ok, "ok" if ok else f"HTTP {response.status_code}"


async def submit_report(client: httpx.AsyncClient, rng: random.Random) -> tuple[bool, str]:
    key = str(uuid.UUID(int=rng.getrandbits(128)))
    response = await client.post("/api/v1/reports", json=report_body(rng), headers={"Idempotency-Key": key})
    return outcome(response, 201)


async def get_healthz(client: httpx.AsyncClient, rng: random.Random) -> tuple[bool, str]:
    return outcome(await client.get("/healthz"), 200)
