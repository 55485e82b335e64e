"""How often a point's estimated unit is right, checked against what vietnamadminunits ships.

The package has no boundaries of the 168 units, but it has the pre-2025 wards of Hồ Chí Minh
City, Bình Dương and Bà Rịa-Vũng Tàu with their centres and bounding boxes, and which old wards
passed whole into one new unit. A point inside such an old ward is known to lie in that new unit.
An old ward's bounding box also covers parts of its neighbours, so a point drawn in the box is
kept only when no other old ward's centre is nearer: the old ward's cell, cut by its box.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from congdan.areas.service import HCMC_PROVINCE_CODE

_OLD_PROVINCES = ("thanhphohochiminh", "tinhbinhduong", "tinhbariavungtau")
_NEW_PROVINCE = "thanhphohochiminh"


@dataclass(frozen=True)
class OldWard:
    lat: float
    lon: float
    # south, west, north, east
    bounds: tuple[float, float, float, float]
    new_code: str | None  # None when the old ward was split between new units


@dataclass(frozen=True)
class Sample:
    lat: float
    lon: float
    truth: str


@dataclass(frozen=True)
class Score:
    n: int
    top1: float
    top2: float


Ranker = Callable[[float, float], Sequence[str]]


def old_wards() -> list[OldWard]:
    """The package's pre-2025 wards of the three provinces that became the city, those with a place."""
    from vietnamadminunits.converter.converter_2025 import DICT_PROVINCE_WARD_NO_DIVIDED
    from vietnamadminunits.database import query

    # The package's helper takes SQL text; what goes into it are our constants.
    new_sql = "SELECT DISTINCT wardKey, wardCode FROM admin_units WHERE provinceCode = '%s'"
    new_codes = {str(r["wardKey"]): str(r["wardCode"]) for r in query(new_sql % HCMC_PROVINCE_CODE)}
    whole: dict[str, str] = {}
    for new_key, old_keys in DICT_PROVINCE_WARD_NO_DIVIDED[_NEW_PROVINCE].items():
        for old_key in old_keys:
            whole[old_key] = new_codes[new_key]
    old_sql = (
        "SELECT DISTINCT provinceKey, districtKey, wardKey, wardLat, wardLon, wardBounds "
        "FROM admin_units_legacy WHERE provinceKey IN (%s) ORDER BY wardCode"
    )
    rows = query(old_sql % ", ".join(f"'{p}'" for p in _OLD_PROVINCES))
    wards = []
    for r in rows:
        if r["wardLat"] is None or r["wardLon"] is None or not r["wardBounds"]:
            continue  # a few old wards come without a place
        key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"
        place = float(r["wardLat"]), float(r["wardLon"])
        wards.append(OldWard(*place, _bounds(str(r["wardBounds"])), whole.get(key)))
    return wards


def _bounds(text: str) -> tuple[float, float, float, float]:
    # "10.981523,106.645693 – 11.011718,106.673341"
    (lat1, lon1), (lat2, lon2) = (tuple(float(x) for x in part.split(",")) for part in text.split("–"))
    return min(lat1, lat2), min(lon1, lon2), max(lat1, lat2), max(lon1, lon2)


def samples(wards: Sequence[OldWard], per_ward: int, seed: int) -> list[Sample]:
    """Up to per_ward points in each old ward that passed whole into one new unit."""
    rng = random.Random(seed)  # noqa: S311 - sampling, not a secret
    out = []
    for ward in wards:
        if ward.new_code is None:
            continue
        south, west, north, east = ward.bounds
        kept, tries = 0, 0
        while kept < per_ward and tries < per_ward * 30:
            tries += 1
            lat, lon = rng.uniform(south, north), rng.uniform(west, east)
            if _nearest_old(wards, lat, lon) is ward:
                out.append(Sample(lat, lon, ward.new_code))
                kept += 1
    return out


def _nearest_old(wards: Sequence[OldWard], lat: float, lon: float) -> OldWard:
    cos = math.cos(math.radians(lat))
    return min(wards, key=lambda w: (w.lat - lat) ** 2 + ((w.lon - lon) * cos) ** 2)


def evaluate(points: Sequence[Sample], rank: Ranker) -> Score:
    """The share of points whose unit is ranked first, and ranked first or second."""
    if not points:
        return Score(0, 0.0, 0.0)
    top1 = top2 = 0
    for p in points:
        ranked = list(rank(p.lat, p.lon))[:2]
        top1 += bool(ranked) and ranked[0] == p.truth
        top2 += p.truth in ranked
    return Score(len(points), top1 / len(points), top2 / len(points))
