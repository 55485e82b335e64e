"""Where a point is: which unit, and whether it lies in the city at all.

Without imported boundaries the unit is the nearest centre, with distance scaled by the unit's
size (a point 2 km from the centre of a 50 km² commune is more likely in it than a point 2 km
from a 1 km² ward), and flagged approximate for staff to confirm.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.areas import repository
from congdan.kit.geo import EARTH_RADIUS_M, metres_to_degrees
from congdan.kit.text import fold
from congdan.models import Area

HCMC_PROVINCE_CODE = "79"
# Beyond a unit's equivalent radius we still accept points this far out: centres are not
# boundaries, and coastal and river units are far from round.
_MARGIN_FACTOR = 1.8
_MARGIN_M = 1500.0
# The runner-up is named when its scaled distance is within this factor of the nearest one's:
# below it the nearest centre is right less than half the time and the runner-up about a third
# (bench/ward_estimate.py).
CLOSE_CALL_RATIO = 1.2


@dataclass(frozen=True)
class Located:
    area_code: str
    approximate: bool
    # The second nearest unit, when the estimate is a close call between the two.
    runner_up: str | None = None


@dataclass(frozen=True)
class _Unit:
    code: str
    lat: float
    lon: float
    radius_m: float


class AreaIndex:
    def __init__(self, areas: list[Area]) -> None:
        self._types = {a.code: a.unit_type for a in areas}
        self._units = [
            _Unit(a.code, a.lat, a.lon, math.sqrt(max(a.area_km2, 0.05) / math.pi) * 1000.0) for a in areas
        ]
        # The centres as arrays, so that scoring every unit is one vectorised pass. A spatial index
        # does not help here: a point's score is its distance over the unit's radius, so the widest
        # commune (tens of km²) keeps most of the city among the candidates of any point.
        self._lat_r = np.radians([u.lat for u in self._units])
        self._lon_r = np.radians([u.lon for u in self._units])
        self._cos_lat = np.cos(self._lat_r)
        self._radius_m = np.array([u.radius_m for u in self._units])
        self._polygons: list[tuple[str, BaseGeometry]] = [
            (a.code, shape(json.loads(a.boundary_geojson))) for a in areas if a.boundary_geojson
        ]
        self._tree = STRtree([g for _c, g in self._polygons]) if self._polygons else None
        discs = []
        for unit in self._units:
            reach = unit.radius_m * _MARGIN_FACTOR + _MARGIN_M
            dlat, dlon = metres_to_degrees(reach, unit.lat)
            # An ellipse in degrees is a circle on the ground at this latitude.
            disc = Point(unit.lon, unit.lat).buffer(1.0, quad_segs=16)
            discs.append(_scale(disc, dlon, dlat, unit.lon, unit.lat))
        self._footprint = unary_union(discs + [g for _c, g in self._polygons]) if discs else None

    @property
    def is_empty(self) -> bool:
        return not self._units

    def unit_type(self, code: str) -> str | None:
        return self._types.get(code)

    def contains(self, lat: float, lon: float) -> bool:
        return self._footprint is not None and bool(self._footprint.covers(Point(lon, lat)))

    def locate(self, lat: float, lon: float) -> Located | None:
        if not self.contains(lat, lon):
            return None
        point = Point(lon, lat)
        if self._tree is not None:
            for index in self._tree.query(point, predicate="covered_by"):
                return Located(self._polygons[int(index)][0], approximate=False)
        (best, best_d), (second, second_d) = self.nearest(lat, lon, 2)
        close = second_d < best_d * CLOSE_CALL_RATIO
        return Located(best, approximate=True, runner_up=second if close else None)

    def nearest(self, lat: float, lon: float, n: int) -> list[tuple[str, float]]:
        """The n units whose centres are nearest, by distance over the unit's equivalent radius."""
        missing = [("", math.inf)] * max(n - len(self._units), 0)
        if not self._units:
            return missing
        p, q = math.radians(lat), math.radians(lon)
        # The haversine formula of kit.geo, over every centre at once.
        h = (
            np.sin((self._lat_r - p) / 2) ** 2
            + math.cos(p) * self._cos_lat * np.sin((self._lon_r - q) / 2) ** 2
        )
        scores = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h)) / self._radius_m
        first = np.argsort(scores, kind="stable")[:n]
        return [(self._units[int(i)].code, float(scores[i])) for i in first] + missing


def _scale(geom: BaseGeometry, sx: float, sy: float, ox: float, oy: float) -> BaseGeometry:
    from shapely import affinity

    return affinity.scale(geom, xfact=sx, yfact=sy, origin=(ox, oy))


async def load_index(session: AsyncSession) -> AreaIndex:
    return AreaIndex(list(await repository.list_areas(session)))


_TYPE_CODES = {"Phường": "phuong", "Xã": "xa", "Đặc khu": "dac_khu"}


def package_units() -> list[Area]:
    """The 168 units as the vietnamadminunits package ships them (codes, names, centres, areas)."""
    from vietnamadminunits.database import query

    sql = (
        "SELECT DISTINCT ward, wardShort, wardType, wardCode, wardLat, wardLon, wardAreaKm2 "
        "FROM admin_units WHERE provinceCode = '%s' ORDER BY wardCode"
    )
    rows = query(sql % HCMC_PROVINCE_CODE)  # the package's helper takes SQL text; the code is our constant
    return [
        Area(
            code=str(r["wardCode"]),
            name=str(r["ward"]),
            short_name=str(r["wardShort"]),
            unit_type=_TYPE_CODES.get(str(r["wardType"]), "phuong"),
            name_folded=fold(str(r["ward"])),
            lat=float(r["wardLat"]),
            lon=float(r["wardLon"]),
            area_km2=float(r["wardAreaKm2"]),
            boundary_geojson=None,
            is_active=True,
        )
        for r in rows
    ]


async def seed_areas(session: AsyncSession) -> int:
    """Adds the units that are missing; edits made later by administrators are kept."""
    have = await repository.existing_codes(session)
    added = [a for a in package_units() if a.code not in have]
    session.add_all(added)
    await session.flush()
    return len(added)


@dataclass(frozen=True)
class ImportResult:
    updated: list[str]
    unknown_codes: list[str]
    skipped: int


def parse_boundaries(geojson: dict[str, object], code_property: str) -> tuple[dict[str, str], int]:
    """Polygons by unit code from a FeatureCollection; features that are not valid areas are skipped."""
    features = geojson.get("features") if geojson.get("type") == "FeatureCollection" else None
    if not isinstance(features, list):
        raise ValueError("not a GeoJSON FeatureCollection")
    found: dict[str, BaseGeometry] = {}
    skipped = 0
    for feature in features:
        props = (feature.get("properties") or {}) if isinstance(feature, dict) else {}
        raw_code = props.get(code_property) if isinstance(props, dict) else None
        try:
            geom = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError):
            skipped += 1
            continue
        if raw_code is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            skipped += 1
            continue
        if not geom.is_valid:
            geom = geom.buffer(0)
        code = str(raw_code).strip().zfill(5)
        found[code] = unary_union([found[code], geom]) if code in found else geom
    return {code: json.dumps(g.__geo_interface__) for code, g in found.items()}, skipped


async def import_boundaries(
    session: AsyncSession, geojson: dict[str, object], code_property: str
) -> ImportResult:
    polygons, skipped = parse_boundaries(geojson, code_property)
    known = {a.code: a for a in await repository.list_areas(session)}
    updated = []
    for code, polygon in polygons.items():
        area = known.get(code)
        if area is not None:
            area.boundary_geojson = polygon
            updated.append(code)
    await session.flush()
    return ImportResult(sorted(updated), sorted(set(polygons) - set(known)), skipped)
