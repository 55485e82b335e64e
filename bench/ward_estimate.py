#!/usr/bin/env python3
"""How often the unit estimated from a GPS point is right, without imported boundaries.

    python bench/ward_estimate.py [--per-ward N] [--seed S]

Points are drawn in the pre-2025 wards that passed whole into one new unit
(`congdan.areas.accuracy`); each is placed by the AreaIndex built from the package's 168 units
and compared with the new unit its old ward became. Prints top-1 (the estimate is right) and
top-2 (right or the runner-up), the same for other weightings of the distance by unit size, and
for each ratio threshold how many points would be named a close call and how often the
runner-up named is the right unit.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

from congdan.areas import accuracy
from congdan.areas.service import CLOSE_CALL_RATIO, AreaIndex, package_units
from congdan.kit.geo import haversine_m


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-ward", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()

    units = package_units()
    index = AreaIndex(units)
    wards = accuracy.old_wards()
    points = accuracy.samples(wards, args.per_ward, args.seed)
    whole = sum(w.new_code is not None for w in wards)
    print(f"old wards {len(wards)}, passed whole into one unit {whole}; points {len(points)}")

    def in_use(lat: float, lon: float) -> Sequence[str]:
        return [code for code, _d in index.nearest(lat, lon, 2)]

    def weighted(power: float) -> accuracy.Ranker:
        radius = {u.code: math.sqrt(max(u.area_km2, 0.05) / math.pi) * 1000.0 for u in units}

        def rank(lat: float, lon: float) -> Sequence[str]:
            scored = sorted(
                units, key=lambda u: haversine_m(lat, lon, u.lat, u.lon) / radius[u.code] ** power
            )
            return [u.code for u in scored[:2]]

        return rank

    def power_diagram(lat: float, lon: float) -> Sequence[str]:
        # distance squared less radius squared: the additively weighted (power) partition
        scored = sorted(
            units, key=lambda u: haversine_m(lat, lon, u.lat, u.lon) ** 2 - (u.area_km2 / math.pi) * 1e6
        )
        return [u.code for u in scored[:2]]

    print(f"{'method':44} {'top1':>7} {'top2':>7}")
    for name, rank in (
        ("distance / radius (in use)", in_use),
        ("plain distance", weighted(0.0)),
        ("distance / sqrt(radius)", weighted(0.5)),
        ("distance / radius^1.5", weighted(1.5)),
        ("power diagram (d^2 - r^2)", power_diagram),
    ):
        score = accuracy.evaluate(points, rank)
        print(f"{name:44} {score.top1:7.1%} {score.top2:7.1%}")

    print(f"\nclose calls (runner-up named when d2/d1 < T; in use T = {CLOSE_CALL_RATIO})")
    print(
        f"{'T':>5} {'named':>7} {'right 1st there':>16} {'right 2nd there':>16} {'right 1st elsewhere':>20}"
    )
    ranked = [(p, index.nearest(p.lat, p.lon, 2)) for p in points]
    for threshold in (1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.4, 1.5):
        close = [(p, c) for p, c in ranked if c[1][1] < c[0][1] * threshold]
        clear = [(p, c) for p, c in ranked if c[1][1] >= c[0][1] * threshold]
        first = sum(c[0][0] == p.truth for p, c in close)
        second = sum(c[1][0] == p.truth for p, c in close)
        elsewhere = sum(c[0][0] == p.truth for p, c in clear)
        print(
            f"{threshold:5.2f} {len(close) / len(points):7.1%} {_share(first, len(close)):>16} "
            f"{_share(second, len(close)):>16} {_share(elsewhere, len(clear)):>20}"
        )


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "—"


if __name__ == "__main__":
    main()
