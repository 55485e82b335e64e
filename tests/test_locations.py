"""Where a report is when it comes with an address or only words: old (pre-2025) addresses are
converted offline, places outside the city are refused, a unit named in the description is used."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.areas.addresses import named_in, place_of
from congdan.areas.service import AreaIndex, package_units
from congdan.models import Report
from tests.conftest import BEN_THANH, report_body
from tests.open311_support import assert_errors_json, new_api_key, post_request, pothole_form

# The units that took over the old Quận 1 on 1 July 2025.
OLD_DISTRICT_1 = {"26737", "26740", "26743", "26758"}
PHUONG_XUAN_HOA = "27139"  # old Phường 7 (merged into Võ Thị Sáu in 2020), Quận 3
BEN_THANH_CODE = "26743"

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class _Offline:
    """Every attempt to reach a host that is not this machine is recorded and refused."""

    def __init__(self) -> None:
        self.attempts: list[object] = []


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Offline]:
    guard = _Offline()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOOPBACK and host is not None:
            guard.attempts.append(host)
            raise OSError(f"no network in tests: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOPBACK:
            guard.attempts.append(address)
            raise OSError(f"no network in tests: {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield guard


@pytest.fixture(scope="module")
def index() -> AreaIndex:
    return AreaIndex(package_units())


async def _count(maker: async_sessionmaker[AsyncSession]) -> int:
    async with maker() as session:
        return int(await session.scalar(select(func.count()).select_from(Report)) or 0)


# ---- reading addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("Phường 7, Quận 3", {PHUONG_XUAN_HOA}),
        ("phuong 7 quan 3", {PHUONG_XUAN_HOA}),
        ("12 Lý Chính Thắng, Phường 7, Quận 3, TP.HCM", {PHUONG_XUAN_HOA}),
        ("Phường Bến Nghé, Quận 1, TP Hồ Chí Minh", {"26740"}),
        ("12 Nguyễn Trãi, Quận 1", OLD_DISTRICT_1),
        ("135 Nam Kỳ Khởi Nghĩa, Phường Bến Thành", {BEN_THANH_CODE}),
        ("Phường Tân Định", {"26737"}),  # a name other provinces share; the city is understood
        ("Phường Đông Hòa, Thành phố Dĩ An, Tỉnh Bình Dương", {"25951"}),  # merged into the city
    ],
)
def test_old_and_new_addresses_give_a_unit_of_the_city(
    offline: _Offline, index: AreaIndex, address: str, expected: set[str]
) -> None:
    place = place_of(index, address)
    assert place.located is not None and not place.outside
    assert place.located.area_code in expected and place.located.approximate
    assert offline.attempts == []


def test_a_split_old_ward_with_a_street_is_converted_without_the_online_geocoder(
    offline: _Offline, index: AreaIndex
) -> None:
    from vietnamadminunits import convert_address

    address = "200 Nguyễn Thái Học, Phường Cầu Ông Lãnh, Quận 1, Thành phố Hồ Chí Minh"
    # Handed the whole address, the package looks the street up online.
    with pytest.raises(Exception):  # whatever geopy makes of a refused connection
        convert_address(address)
    assert offline.attempts
    offline.attempts.clear()
    place = place_of(index, address)
    assert place.located is not None and place.located.area_code in OLD_DISTRICT_1
    assert offline.attempts == []


@pytest.mark.parametrize(
    "address", ["Tràng Tiền, Hoàn Kiếm, Hà Nội", "Phường Tràng Tiền, Quận Hoàn Kiếm, TP Hà Nội", "Đà Nẵng"]
)
def test_addresses_in_other_provinces_are_outside(offline: _Offline, index: AreaIndex, address: str) -> None:
    assert place_of(index, address).outside


def test_an_address_nobody_knows_is_neither_in_nor_out(index: AreaIndex) -> None:
    place = place_of(index, "một nơi nào đó")
    assert place.located is None and not place.outside


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("ngập nặng ở phường Bến Thành", BEN_THANH_CODE),
        ("mat nuoc ca ngay o phuong tan dinh", "26737"),
        ("Cống nghẹt ở phường 7 quận 3 sau mưa", PHUONG_XUAN_HOA),
        ("Ổ gà sâu giữa đường Lê Lợi, xe máy dễ té.", None),
        ("Chợ Bến Thành kẹt xe", None),  # a bare name: the parser matches across words
        ("Ùn tắc kéo dài ở khu vực An Lạc, Tân Tạo mỗi chiều", None),
    ],
)
def test_a_unit_named_with_its_type_in_a_description(
    index: AreaIndex, description: str, expected: str | None
) -> None:
    located = named_in(index, description)
    assert (located.area_code if located else None) == expected
    assert located is None or located.approximate


# ---- POST /api/v1/reports ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [("12 Nguyễn Trãi, Quận 1", OLD_DISTRICT_1), ("phuong 7 quan 3", {PHUONG_XUAN_HOA})],
)
async def test_report_with_an_old_address_is_routed_to_the_new_units_committee(
    client: httpx.AsyncClient, offline: _Offline, address: str, expected: set[str]
) -> None:
    r = await client.post(
        "/api/v1/reports",
        json=report_body(category="garbage", description="Rác ùn ứ", location=None, address=address),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["area"]["code"] in expected and body["area"]["approximate"] is True
    assert body["agency"]["code"] == f"ubnd_{body['area']['code']}"
    assert offline.attempts == []


async def test_report_with_an_address_outside_the_city_is_refused(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    before = await _count(maker)
    body = report_body(location=None, address="Tràng Tiền, Hoàn Kiếm, Hà Nội")
    r = await client.post("/api/v1/reports", json=body)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    [error] = r.json()["errors"]
    assert (
        error["field"] == "address" and error["message"] == "Địa chỉ nằm ngoài địa bàn Thành phố Hồ Chí Minh."
    )
    r = await client.post("/api/v1/reports", json=body, headers={"Accept-Language": "en"})
    assert r.json()["errors"][0]["message"] == "The address is outside Ho Chi Minh City."
    assert await _count(maker) == before


async def test_report_placed_only_by_its_description_is_approximate(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/reports",
        json={"category": "flooding_drainage", "description": "Ngập nặng ở phường Bến Thành sau cơn mưa"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["location"] is None and body["address"] is None
    assert body["area"] == {"code": BEN_THANH_CODE, "name": "Phường Bến Thành", "approximate": True}


async def test_report_without_any_place_is_still_refused(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/reports", json={"category": "garbage", "description": "Rác bốc mùi"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "location"


# ---- POST /api/v1/reports/suggest ---------------------------------------------------------


async def test_suggest_takes_the_location_object_and_the_flat_pair(client: httpx.AsyncClient) -> None:
    text = "Ổ gà sâu giữa đường"
    nested = await client.post("/api/v1/reports/suggest", json={"description": text, "location": BEN_THANH})
    flat = await client.post("/api/v1/reports/suggest", json={"description": text, **BEN_THANH})
    assert nested.status_code == flat.status_code == 200
    assert nested.json()["area"]["code"] == flat.json()["area"]["code"] == BEN_THANH_CODE


async def test_suggest_reads_addresses_and_descriptions_like_a_report(
    client: httpx.AsyncClient, offline: _Offline
) -> None:
    by_address = await client.post(
        "/api/v1/reports/suggest", json={"description": "Rác ùn ứ", "address": "Phường 7, Quận 3"}
    )
    assert by_address.status_code == 200, by_address.text
    assert by_address.json()["area"]["code"] == PHUONG_XUAN_HOA
    by_words = await client.post("/api/v1/reports/suggest", json={"description": "ngập ở phường Bến Thành"})
    assert by_words.json()["area"] == {
        "code": BEN_THANH_CODE,
        "name": "Phường Bến Thành",
        "approximate": True,
    }
    assert offline.attempts == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"address": "Tràng Tiền, Hoàn Kiếm, Hà Nội"}, "address"),
        ({"location": {"lat": 21.0285, "long": 105.8542}}, "location"),
        ({"location": {"lat": 95, "long": 106.7}}, "location.lat"),
        ({"location": {"lat": 10.77}}, "location.long"),
        ({"location": BEN_THANH, **BEN_THANH}, "location"),
        ({"lat": 10.77}, "long"),
        ({"long": 106.7}, "lat"),
        ({"address": "x" * 501}, "address"),
    ],
)
async def test_suggest_bad_place_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    r = await client.post("/api/v1/reports/suggest", json={"description": "Rác", **body})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == [field]


# ---- Open311 --------------------------------------------------------------------------------


async def test_open311_address_string_follows_the_same_rules(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], offline: _Offline
) -> None:
    api_key = await new_api_key(maker)
    r = await post_request(
        client, pothole_form(api_key, lat=None, long=None, address_string="phuong 7 quan 3")
    )
    assert r.status_code == 201, r.text
    async with maker() as session:
        report = await session.get(Report, uuid.UUID(r.json()[0]["service_request_id"]))
    assert report is not None and report.area_code == PHUONG_XUAN_HOA and report.area_approximate
    before = await _count(maker)
    outside = pothole_form(api_key, lat=None, long=None, address_string="Tràng Tiền, Hoàn Kiếm, Hà Nội")
    messages = assert_errors_json(await post_request(client, outside), 400)
    assert messages == ["Địa chỉ nằm ngoài địa bàn Thành phố Hồ Chí Minh."]
    assert await _count(maker) == before
    assert offline.attempts == []
