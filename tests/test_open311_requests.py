"""GET requests, a single request and tokens: fields, filters, the 90-day and 1,000-row limits,
the extensions, and what the public must never see."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import new_id, utcnow
from congdan.models import Report
from tests.conftest import Actors, report_body
from tests.open311_support import (
    BASE,
    W3C,
    assert_errors_json,
    assert_errors_xml,
    create_request,
    new_api_key,
    xml,
)

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


@pytest.fixture
async def api_key(maker: async_sessionmaker[AsyncSession]) -> str:
    return await new_api_key(maker)


async def _age(
    maker: async_sessionmaker[AsyncSession], request_id: str, days: int, *, updated: bool = True
) -> None:
    moment = utcnow() - timedelta(days=days)
    values = {"created_at": moment, "updated_at": moment} if updated else {"created_at": moment}
    async with maker() as session, session.begin():
        await session.execute(update(Report).where(Report.id == uuid.UUID(request_id)).values(**values))


async def _ids(client: httpx.AsyncClient, **params: str) -> list[str]:
    r = await client.get(f"{BASE}/requests.json", params=params)
    assert r.status_code == 200, r.text
    return [item["service_request_id"] for item in r.json()]


async def test_list_is_a_bare_array_with_the_spec_fields(client: httpx.AsyncClient, api_key: str) -> None:
    request_id = await create_request(client, api_key, address_string="Chợ Bến Thành")
    r = await client.get(f"{BASE}/requests.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    (item,) = r.json()
    assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == request_id
    assert item["status"] == "open"
    assert item["service_code"] == "road_damage"
    assert item["service_name"] == "Hư hỏng mặt đường, ổ gà, sụp lún"
    assert item["agency_responsible"] == "Sở Xây dựng TP.HCM"
    assert item["address"] == "Chợ Bến Thành" and item["address_id"] == "26743"
    assert isinstance(item["lat"], float) and isinstance(item["long"], float)
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.match(item[name]), item[name]

    root = xml(await client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    (request,) = list(root)
    assert request.tag == "request"
    assert [c.tag for c in request] == REQUEST_FIELDS
    assert request.findtext("service_request_id") == request_id
    assert W3C.match(request.findtext("requested_datetime") or "")


async def test_single_request_in_both_formats_and_404s(client: httpx.AsyncClient, api_key: str) -> None:
    request_id = await create_request(client, api_key)
    r = await client.get(f"{BASE}/requests/{request_id}.json")
    assert r.status_code == 200
    (item,) = r.json()
    assert item["service_request_id"] == request_id and list(item) == REQUEST_FIELDS
    root = xml(await client.get(f"{BASE}/requests/{request_id}.xml"))
    assert root.tag == "service_requests" and root.findtext("./request/service_request_id") == request_id
    for missing in (str(uuid.uuid4()), "12345"):
        (message,) = assert_errors_json(await client.get(f"{BASE}/requests/{missing}.json"), 404)
        assert missing in message
        assert_errors_xml(await client.get(f"{BASE}/requests/{missing}.xml"), 404)


async def test_private_reports_and_suggestions_are_invisible(
    client: httpx.AsyncClient, actors: Actors, api_key: str
) -> None:
    resident = await actors.resident()
    private = await client.post("/api/v1/reports", json=report_body(visibility="private"), headers=resident)
    suggestion = await client.post(
        "/api/v1/reports", json=report_body(kind="suggestion", location=None), headers=resident
    )
    assert private.status_code == 201 and suggestion.status_code == 201
    public_id = await create_request(client, api_key)
    hidden = [private.json(), suggestion.json()]
    assert await _ids(client) == [public_id]
    everything = ",".join([public_id, *(h["id"] for h in hidden)])
    assert await _ids(client, service_request_id=everything) == [public_id]
    for report in hidden:
        assert_errors_json(await client.get(f"{BASE}/requests/{report['id']}.json"), 404)
        assert_errors_xml(await client.get(f"{BASE}/requests/{report['id']}.xml"), 404)
        assert_errors_json(await client.get(f"{BASE}/tokens/{report['tracking_code']}.json"), 404)
        text = (await client.get(f"{BASE}/requests.xml")).text
        assert report["id"] not in text


async def test_service_request_id_list_overrides_every_other_filter(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    first = await create_request(client, api_key)
    second = await create_request(client, api_key)
    await _age(maker, second, 400)
    both = await _ids(
        client,
        service_request_id=f"{first}, {second},not-an-id",
        status="closed",
        service_code="noise",
        start_date="2001-01-01T00:00:00Z",
        end_date="2001-01-02T00:00:00Z",
    )
    assert sorted(both) == sorted([first, second])


async def test_service_code_filter_takes_a_comma_list(client: httpx.AsyncClient, api_key: str) -> None:
    pothole = await create_request(client, api_key)
    noise = await create_request(
        client,
        api_key,
        service_code="noise",
        **{
            "attribute[damage_type]": None,
            "attribute[pothole_size_cm]": None,
            "attribute[noise_source]": "karaoke",
        },
    )
    assert await _ids(client, service_code="noise") == [noise]
    assert sorted(await _ids(client, service_code="noise,road_damage")) == sorted([pothole, noise])
    assert await _ids(client, service_code="trees") == []


async def test_status_filter_and_status_notes(
    client: httpx.AsyncClient, actors: Actors, api_key: str
) -> None:
    open_id = await create_request(client, api_key)
    closed_id = await create_request(client, api_key)
    coordinator = await actors.staff("coordinator")
    r = await client.post(
        f"/api/v1/reports/{closed_id}/transitions",
        json={
            "to": "rejected",
            "reason": "not_city_jurisdiction",
            "note": "Đoạn đường này do chủ đầu tư dự án quản lý.",
        },
        headers=coordinator,
    )
    assert r.status_code == 200, r.text
    assert await _ids(client, status="open") == [open_id]
    assert await _ids(client, status="closed") == [closed_id]
    assert sorted(await _ids(client, status="open,closed")) == sorted([open_id, closed_id])
    (closed,) = (await client.get(f"{BASE}/requests/{closed_id}.json")).json()
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "Đoạn đường này do chủ đầu tư dự án quản lý."
    assert closed["service_notice"] is None
    assert_errors_json(await client.get(f"{BASE}/requests.json", params={"status": "pending"}), 400)


async def test_status_notes_show_the_latest_public_reply_never_internal_notes(
    client: httpx.AsyncClient, actors: Actors, api_key: str
) -> None:
    request_id = await create_request(client, api_key)
    officer = await actors.staff("agency_officer", agency="so_xay_dung")
    r = await client.post(
        f"/api/v1/reports/{request_id}/replies",
        json={"message": "Đã cử đội duy tu đến kiểm tra."},
        headers=officer,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v1/reports/{request_id}/notes",
        json={"note": "Nội bộ: nhà thầu chậm tiến độ."},
        headers=officer,
    )
    assert r.status_code == 201, r.text
    (item,) = (await client.get(f"{BASE}/requests/{request_id}.json", params={"extensions": "true"})).json()
    assert item["status_notes"] == "Đã cử đội duy tu đến kiểm tra."
    for fmt in ("json", "xml"):
        text = (await client.get(f"{BASE}/requests/{request_id}.{fmt}", params={"extensions": "true"})).text
        assert "nhà thầu" not in text


async def test_default_window_is_the_last_90_days(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    fresh = await create_request(client, api_key)
    old = await create_request(client, api_key)
    await _age(maker, old, 100)
    assert await _ids(client) == [fresh]
    # Only a start: the window runs 90 days from it.
    start = (utcnow() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert await _ids(client, start_date=start) == [old]
    # Only an end: the 90 days before it.
    end = (utcnow() - timedelta(days=95)).strftime("%Y-%m-%dT%H:%M:%S+07:00")
    assert await _ids(client, end_date=end) == [old]
    # Both, within 90 days of each other; a bare W3C date is accepted too.
    a = (utcnow() - timedelta(days=110)).strftime("%Y-%m-%d")
    b = (utcnow() - timedelta(days=30)).strftime("%Y-%m-%d")
    assert await _ids(client, start_date=a, end_date=b) == [old]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},  # over 90 days
        {"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"},  # end before start
        {"start_date": "2026-01-01T00:00:00"},  # no time zone
        {"end_date": "yesterday"},
        {"start_date": "01/02/2026"},
        {"page": "0"},
        {"page_size": "1001"},
        {"page_size": "ten"},
        {"updated_after": "2026-01-01T08:00"},
        {"updated_after": "2026-03-01T00:00:00Z", "updated_before": "2026-02-01T00:00:00Z"},
    ],
)
async def test_bad_query_parameters_are_400(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    assert_errors_json(await client.get(f"{BASE}/requests.json", params=params), 400)
    assert_errors_xml(await client.get(f"{BASE}/requests.xml", params=params), 400)


async def test_at_most_1000_rows_and_pages_when_asked(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "tracking_code": f"T{n:09d}",
            "kind": "report",
            "category_code": "garbage",
            "description": f"Rác số {n}",
            "search_text": f"rac so {n}",
            "status": "assigned",
            "is_public": True,
            "hide_identity": False,
            "area_approximate": True,
            "created_at": now - timedelta(minutes=n),
            "updated_at": now - timedelta(minutes=n),
        }
        for n in range(1003)
    ]
    async with maker() as session, session.begin():
        await session.execute(insert(Report), rows)
    newest_first = [str(r["id"]) for r in rows]
    assert await _ids(client) == newest_first[:1000]
    assert await _ids(client, page_size="10") == newest_first[:10]
    assert await _ids(client, page="2", page_size="10") == newest_first[10:20]
    assert await _ids(client, page="2") == newest_first[1000:]
    assert len(list(xml(await client.get(f"{BASE}/requests.xml")))) == 1000


async def test_updated_after_and_before(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    recent = await create_request(client, api_key)
    stale = await create_request(client, api_key)
    await _age(maker, stale, 30)
    long_ago = await create_request(client, api_key)
    await _age(maker, long_ago, 200)
    moment = (utcnow() - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert await _ids(client, updated_after=moment) == [recent]
    assert sorted(await _ids(client, updated_before=moment)) == sorted([stale, long_ago])
    # Old requests that changed recently are found: no default 90-day window on requested_datetime.
    await _age(maker, long_ago, 0, updated=False)
    async with maker() as session, session.begin():
        await session.execute(
            update(Report)
            .where(Report.id == uuid.UUID(long_ago))
            .values(created_at=utcnow() - timedelta(days=200), updated_at=utcnow())
        )
    assert sorted(await _ids(client, updated_after=moment)) == sorted([recent, long_ago])


async def test_extensions_only_when_asked(client: httpx.AsyncClient, actors: Actors, api_key: str) -> None:
    request_id = await create_request(client, api_key)
    officer = await actors.staff("agency_officer", agency="so_xay_dung")
    r = await client.post(
        f"/api/v1/reports/{request_id}/transitions",
        json={"to": "in_progress", "note": "Đang vá ổ gà."},
        headers=officer,
    )
    assert r.status_code == 200, r.text
    (plain,) = (await client.get(f"{BASE}/requests/{request_id}.json")).json()
    assert list(plain) == REQUEST_FIELDS
    (item,) = (await client.get(f"{BASE}/requests.json", params={"extensions": "true"})).json()
    assert list(item) == [*REQUEST_FIELDS, "extended_attributes", "notes"]
    extended = item["extended_attributes"]
    assert extended["detailed_status"] == "in_progress"
    assert extended["detailed_status_label"] == "Đang xử lý"
    assert extended["attributes"] == [
        {"code": "damage_type", "value": "pothole"},
        {"code": "pothole_size_cm", "value": 40.0},
    ]
    statuses = [n["status"] for n in item["notes"]]
    assert statuses == ["submitted", "assigned", "in_progress"]
    assert item["notes"][-1]["description"] == "Đang vá ổ gà."
    assert all(W3C.match(n["datetime"]) for n in item["notes"])

    root = xml(await client.get(f"{BASE}/requests/{request_id}.xml", params={"extensions": "true"}))
    request = root.find("request")
    assert request is not None
    assert request.findtext("./extended_attributes/detailed_status") == "in_progress"
    codes = [a.findtext("code") for a in request.findall("./extended_attributes/attributes/attribute")]
    assert codes == ["damage_type", "pothole_size_cm"]
    assert [n.findtext("status") for n in request.findall("./notes/note")] == statuses


async def test_multivalue_attributes_in_xml_extensions(client: httpx.AsyncClient, api_key: str) -> None:
    request_id = await create_request(
        client,
        api_key,
        service_code="trees",
        **{
            "attribute[damage_type]": None,
            "attribute[pothole_size_cm]": None,
            "attribute[tree_problems][]": ["leaning", "broken_branch"],
        },
    )
    root = xml(await client.get(f"{BASE}/requests/{request_id}.xml", params={"extensions": "true"}))
    attribute = root.find("./request/extended_attributes/attributes/attribute")
    assert attribute is not None
    assert [v.text for v in attribute.findall("value")] == ["leaning", "broken_branch"]


async def test_english_names_when_asked(client: httpx.AsyncClient, api_key: str) -> None:
    request_id = await create_request(client, api_key)
    (item,) = (await client.get(f"{BASE}/requests/{request_id}.json", params={"locale": "en"})).json()
    assert item["service_name"] == "Road damage, potholes"
    assert item["service_notice"].startswith("Sent to ")


async def test_tokens_resolve_tracking_codes(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    request_id = await create_request(client, api_key)
    async with maker() as session:
        report = await session.get(Report, uuid.UUID(request_id))
        assert report is not None
        code = report.tracking_code
    r = await client.get(f"{BASE}/tokens/{code}.json")
    assert r.status_code == 200
    assert r.json() == [{"service_request_id": request_id, "token": code}]
    root = xml(await client.get(f"{BASE}/tokens/{code.lower().replace('-', '')}.xml"))
    assert root.tag == "service_requests"
    assert root.findtext("./request/service_request_id") == request_id
    assert_errors_json(await client.get(f"{BASE}/tokens/AAAAA-AAAAA.json"), 404)
    assert_errors_xml(await client.get(f"{BASE}/tokens/nothing.xml"), 404)


async def test_an_offset_whose_plus_was_not_encoded_still_counts(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    old = await create_request(client, api_key)
    await _age(maker, old, 100)
    start = (utcnow() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%S")
    # A raw "+" in a query string means a space: the client meant +07:00.
    r = await client.get(f"{BASE}/requests.json?start_date={start}+07:00")
    assert r.status_code == 200, r.text
    assert [item["service_request_id"] for item in r.json()] == [old]
