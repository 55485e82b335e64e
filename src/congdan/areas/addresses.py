"""Where a typed address is, read offline with vietnamadminunits.

Residents still write the pre-July-2025 form with districts ("Phường 7, Quận 3"), so an address
is read both ways: an old ward and district go through the package's old→new mapping, a current
ward is taken as it is, and an old district alone falls back to the unit nearest its centre.

The package's converter geocodes online (ArcGIS) when an old ward was split and a street is
given; it is only ever handed the ward, district and province, never the street, so it stays on
the mapping tables.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from congdan.areas.service import HCMC_PROVINCE_CODE, AreaIndex, Located
from congdan.kit.text import fold

_CITY = "Thành phố Hồ Chí Minh"


@dataclass(frozen=True)
class Place:
    """What an address names: a unit of the city, somewhere outside it, or nothing known."""

    located: Located | None = None
    outside: bool = False


@dataclass(frozen=True)
class _Reading:
    province_code: str | None
    province_name: str | None = None
    ward_code: str | None = None
    centre: tuple[float, float] | None = None
    # The words that must appear in a free description for it to count as naming the place.
    named_as: str | None = None


def _quiet(call: Callable[[], Any]) -> Any:
    # The package prints progress on some inputs; an odd input must not break a submission.
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return call()
    except Exception:
        return None


def _legacy(text: str) -> Any:
    from vietnamadminunits import ParseMode, parse_address

    return _quiet(lambda: parse_address(text, mode=ParseMode.LEGACY, level=3))


def _current(text: str) -> Any:
    from vietnamadminunits import ParseMode, parse_address

    return _quiet(lambda: parse_address(text, mode=ParseMode.FROM_2025, level=2))


def _convert(old: Any) -> Any:
    """The post-2025 unit of an old one, from its ward, district and province only."""
    from vietnamadminunits import convert_address

    without_street = ", ".join(p for p in (old.ward, old.district, old.province) if p)
    again = _legacy(without_street)
    if again is None or again.street:
        return None  # the converter would look the street up online
    return _quiet(lambda: convert_address(without_street))


def _read(text: str) -> _Reading | None:
    old = _legacy(text)
    if old is not None and old.ward_key:
        new = _convert(old)
        if new is not None and new.province_code:
            return _Reading(
                str(new.province_code), old.short_province, _code(new.ward_code), named_as=old.district
            )
    current = _current(text)
    if current is not None and current.province_code and current.ward_code:
        return _Reading(
            str(current.province_code),
            current.short_province,
            _code(current.ward_code),
            named_as=current.ward,
        )
    if old is not None and old.district_key:
        new = _convert(old)
        province = str(new.province_code) if new is not None and new.province_code else None
        centre = (float(old.latitude), float(old.longitude)) if old.latitude and old.longitude else None
        return _Reading(province, old.short_province, centre=centre)
    if current is not None and current.province_code:
        return _Reading(str(current.province_code), current.short_province)
    if old is not None and old.province_key:
        new = _convert(old)
        if new is not None and new.province_code:
            return _Reading(str(new.province_code), old.short_province)
    return None


def _code(value: object) -> str | None:
    return str(value) if value else None


def _reading(text: str) -> _Reading | None:
    plain = _read(text)
    if plain is not None and plain.province_code == HCMC_PROVINCE_CODE:
        return plain
    if plain is not None and plain.province_name and _mentions(text, plain.province_name):
        return plain  # another province, written out
    # Residents of the city rarely write its name, and without it the parser guesses the
    # province from a ward name that several provinces share.
    with_city = _read(f"{text}, {_CITY}")
    if with_city is None or with_city.province_code != HCMC_PROVINCE_CODE:
        return plain
    if plain is None or with_city.ward_code or with_city.centre:
        return with_city
    return plain


def place_of(index: AreaIndex, address: str) -> Place:
    """The unit an address is in (approximate: a typed address is not a surveyed point)."""
    reading = _reading(address)
    if reading is None or reading.province_code is None:
        return Place()
    if reading.province_code != HCMC_PROVINCE_CODE:
        return Place(outside=True)
    if reading.ward_code and index.unit_type(reading.ward_code) is not None:
        return Place(Located(reading.ward_code, approximate=True))
    if reading.centre is not None:
        located = index.locate(*reading.centre)
        if located is not None:
            return Place(Located(located.area_code, approximate=True))
    return Place()


def named_in(index: AreaIndex, description: str) -> Located | None:
    """The city unit a description names with its type ("phường Bến Thành", "phường 7 quận 3").

    A bare name is not enough: the parser matches names across word boundaries, and ordinary
    words ("tân", "an", "hòa") are parts of many unit names.
    """
    reading = _reading(description)
    if reading is None or reading.province_code != HCMC_PROVINCE_CODE or not reading.ward_code:
        return None
    if not reading.named_as or not _mentions(description, reading.named_as):
        return None
    if index.unit_type(reading.ward_code) is None:
        return None
    return Located(reading.ward_code, approximate=True)


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(fold(name))}(?!\w)", fold(text)) is not None
