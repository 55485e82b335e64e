"""Whether it was already reported: open reports of the same kind, close by, recent, alike in words.

Distance and wording both count: two potholes 10 m apart are likely one, even if described
differently; a report 40 m away that says the same thing is likely the same one too. The score
blends closeness (1 at the same spot, 0 at the category's radius) with the similarity of the
character trigrams of the normalised, folded text, which copes with missing diacritics.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.authz.policy import Principal
from congdan.db import utcnow
from congdan.kit.geo import haversine_m, metres_to_degrees
from congdan.models import Report
from congdan.routing import repository
from congdan.routing.normalise import folded
from congdan.shared.statuses import OPEN

# Without a category we do not know the radius; this is the typical one of the ward-level categories.
ANY_CATEGORY_RADIUS_M = 150
TEXT_WEIGHT = 0.5
MIN_SCORE = 0.35


@dataclass(frozen=True)
class Candidate:
    report: Report
    distance_m: float
    similarity: float
    score: float


@dataclass(frozen=True)
class _Trigrams:
    counts: Counter[str]
    length: float  # the counts' Euclidean length


def _trigrams(text: str) -> _Trigrams:
    padded = f" {folded(text)} "
    counts = Counter(padded[i : i + 3] for i in range(len(padded) - 2))
    return _Trigrams(counts, math.sqrt(sum(v * v for v in counts.values())))


def _cosine(a: _Trigrams, b: _Trigrams) -> float:
    if not a.length or not b.length:
        return 0.0
    small, large = (a.counts, b.counts) if len(a.counts) <= len(b.counts) else (b.counts, a.counts)
    dot = sum(count * large[gram] for gram, count in small.items() if gram in large)
    return dot / (a.length * b.length)


def similarity(a: str, b: str) -> float:
    """Cosine similarity of character trigram counts, 0 to 1."""
    return _cosine(_trigrams(a), _trigrams(b))


def score(distance_m: float, radius_m: float, text_similarity: float, has_text: bool) -> float:
    closeness = max(0.0, 1.0 - distance_m / radius_m)
    if not has_text:
        return closeness
    return (1 - TEXT_WEIGHT) * closeness + TEXT_WEIGHT * text_similarity


async def candidates(
    session: AsyncSession,
    *,
    category_code: str | None,
    radius_m: float | None,
    lat: float,
    lon: float,
    text: str | None,
    window_days: int,
    principal: Principal,
    exclude: uuid.UUID | None = None,
    limit: int = 5,
) -> list[Candidate]:
    radius = float(radius_m or ANY_CATEGORY_RADIUS_M)
    dlat, dlon = metres_to_degrees(radius, lat)
    rows = await repository.nearby_open(
        session,
        category_code=category_code,
        statuses=[s.value for s in OPEN],
        south=lat - dlat,
        north=lat + dlat,
        west=lon - dlon,
        east=lon + dlon,
        since=utcnow() - timedelta(days=window_days),
        exclude=exclude,
        principal=principal,
    )
    has_text = bool(text and text.strip())
    asked = _trigrams(text or "") if has_text else None  # once, not once per candidate
    found = []
    for report in rows:
        if report.lat is None or report.lon is None or report.duplicate_of_id is not None:
            continue
        distance = haversine_m(lat, lon, report.lat, report.lon)
        if distance > radius:
            continue
        alike = _cosine(asked, _trigrams(report.description)) if asked is not None else 0.0
        value = score(distance, radius, alike, has_text)
        if value >= MIN_SCORE:
            found.append(Candidate(report, round(distance, 1), round(alike, 3), round(value, 3)))
    found.sort(key=lambda c: -c.score)
    return found[:limit]
