"""How honest the classifier's confidence is, and which threshold routing should use.

Both work on plain (confidence, right) pairs measured on the held-out file, so they can be checked
against hand-made curves without training anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The goal routing is held to: at most this share of all reports sent to the wrong agency.
MAX_MISROUTED = 0.03


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    confidence: float  # mean predicted confidence in the bin
    accuracy: float  # share of the bin whose top category was right


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    auto_routed: float  # share of all reports routed without a human
    misrouted: float  # share of all reports routed without a human to the wrong category


def reliability(pairs: Sequence[tuple[float, bool]], bins: int = 10) -> list[Bin]:
    """Equal-width bins over [0, 1]; every bin is listed, empty ones with zeros, so tables line up."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    grouped: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for confidence, right in pairs:
        # A confidence of exactly 1.0 belongs in the last bin, not past it.
        grouped[min(int(confidence * bins), bins - 1)].append((confidence, right))
    table = []
    for index, members in enumerate(grouped):
        count = len(members)
        mean_confidence = sum(c for c, _ in members) / count if count else 0.0
        accuracy = sum(1 for _, r in members if r) / count if count else 0.0
        table.append(Bin(index / bins, (index + 1) / bins, count, mean_confidence, accuracy))
    return table


def expected_calibration_error(table: Sequence[Bin]) -> float:
    total = sum(b.count for b in table)
    if not total:
        return 0.0
    return sum(b.count * abs(b.accuracy - b.confidence) for b in table) / total


def curve(pairs: Sequence[tuple[float, bool]], thresholds: Sequence[float]) -> list[CurvePoint]:
    n = len(pairs)
    points = []
    for threshold in sorted(thresholds):
        routed = [right for confidence, right in pairs if confidence >= threshold]
        wrong = sum(1 for right in routed if not right)
        points.append(CurvePoint(threshold, len(routed) / n if n else 0.0, wrong / n if n else 0.0))
    return points


def default_thresholds() -> list[float]:
    return [round(step / 100, 2) for step in range(0, 100)]


def choose_threshold(points: Sequence[CurvePoint], max_misrouted: float = MAX_MISROUTED) -> CurvePoint | None:
    """The lowest threshold whose misrouted share stays under the goal: the lowest one routes the
    most reports without a human. None when no threshold on the curve meets the goal."""
    for point in sorted(points, key=lambda p: p.threshold):
        if point.misrouted < max_misrouted:
            return point
    return None
