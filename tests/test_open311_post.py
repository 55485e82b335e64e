"""POST requests: form-encoded, api_key, attributes checked against the definition, the same
submission rules as the app (routing, deadlines, outbox), and errors exactly as the spec says."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.db import utcnow
from congdan.models import ApiKey, Media, Open311Submission, OutboxMessage, Report
from tests.conftest import jpeg_with_gps
from tests.open311_support import (
    BASE,
    assert_errors_json,
    assert_errors_xml,
    create_request,
    new_api_key,
    post_request,
    pothole_form,
    xml,
)


@pytest.fixture
async def api_key(maker: async_sessionmaker[AsyncSession]) -> str:
    return await new_api_key(maker)


async def _report(maker: async_sessionmaker[AsyncSession], request_id: str) -> Report:
    import uuid

    async with maker() as session:
        report = await session.get(Report, uuid.UUID(request_id))
        assert report is not None
        return report


async def _report_count(maker: async_sessionmaker[AsyncSession]) -> int:
    async with maker() as session:
        return int(await session.scalar(select(func.count()).select_from(Report)) or 0)


async def test_post_creates_a_routed_report_with_deadline_and_outbox(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    r = await post_request(client, pothole_form(api_key))
    assert r.status_code == 201, r.text
    (body,) = r.json()
    assert set(body) == {"service_request_id", "service_notice", "account_id"}
    assert "token" not in body
    assert "Sở Xây dựng" in body["service_notice"]
    report = await _report(maker, body["service_request_id"])
    assert report.status == "assigned" and report.agency_code == "so_xay_dung"
    assert report.category_code == "road_damage" and report.is_public and report.due_at is not None
    async with maker() as session:
        events = (
            await session.scalars(
                select(OutboxMessage.event_type).where(OutboxMessage.aggregate_id == str(report.id))
            )
        ).all()
        extra = await session.get(Open311Submission, report.id)
    assert "report.submitted" in events
    assert extra is not None and extra.attributes == {"damage_type": "pothole", "pothole_size_cm": 40.0}


async def test_post_xml_answers_service_requests_document(client: httpx.AsyncClient, api_key: str) -> None:
    r = await post_request(client, pothole_form(api_key, account_id="acct-77"), fmt="xml")
    assert r.status_code == 201
    root = xml(r)
    assert root.tag == "service_requests"
    (request,) = list(root)
    assert request.tag == "request"
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    assert request.findtext("account_id") == "acct-77"
    assert request.find("token") is None


async def test_ward_category_by_address_id_goes_to_the_wards_committee(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    request_id = await create_request(
        client,
        api_key,
        service_code="garbage",
        lat=None,
        long=None,
        address_id="26743",
        **{"attribute[damage_type]": None, "attribute[pothole_size_cm]": None},
        **{"attribute[waste_types][]": ["bulky", "household"]},
    )
    report = await _report(maker, request_id)
    assert report.agency_code == "ubnd_26743" and report.area_code == "26743"
    async with maker() as session:
        extra = await session.get(Open311Submission, report.id)
    assert extra is not None and extra.attributes == {"waste_types": ["bulky", "household"]}


async def test_address_string_alone_is_a_location(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    request_id = await create_request(
        client, api_key, lat=None, long=None, address_string="135 Nam Kỳ Khởi Nghĩa, Phường Bến Thành"
    )
    report = await _report(maker, request_id)
    assert report.address == "135 Nam Kỳ Khởi Nghĩa, Phường Bến Thành" and report.lat is None


@pytest.mark.parametrize("key", [None, "", "cdk_not-a-real-key"])
async def test_missing_or_bad_api_key_is_403(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], key: str | None
) -> None:
    before = await _report_count(maker)
    form = pothole_form("x")
    form.pop("api_key")
    if key is not None:
        form["api_key"] = key
    assert_errors_json(await post_request(client, form), 403)
    assert_errors_xml(await post_request(client, form, fmt="xml"), 403)
    assert await _report_count(maker) == before


async def test_revoked_api_key_is_403(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    async with maker() as session, session.begin():
        await session.execute(update(ApiKey).values(revoked_at=utcnow()))
    assert_errors_json(await post_request(client, pothole_form(api_key)), 403)


async def test_api_key_in_the_query_string_is_accepted(client: httpx.AsyncClient, api_key: str) -> None:
    form = pothole_form(api_key)
    form.pop("api_key")
    r = await client.post(f"{BASE}/requests.json", params={"api_key": api_key}, data=form)
    assert r.status_code == 201, r.text


async def test_jurisdiction_on_post(client: httpx.AsyncClient, api_key: str) -> None:
    ok = await post_request(client, pothole_form(api_key, jurisdiction_id="hochiminhcity.gov.vn"))
    assert ok.status_code == 201
    assert_errors_json(await post_request(client, pothole_form(api_key, jurisdiction_id="hanoi.gov.vn")), 404)


async def test_unknown_service_code_is_404_and_missing_is_400(
    client: httpx.AsyncClient, api_key: str
) -> None:
    assert_errors_json(await post_request(client, pothole_form(api_key, service_code="graffiti")), 404)
    assert_errors_xml(await post_request(client, pothole_form(api_key, service_code=None), fmt="xml"), 400)


BAD_FORMS: list[tuple[str, dict[str, Any], str]] = [
    ("no location", {"lat": None, "long": None}, "lat"),
    ("lat without long", {"long": None}, "lat"),
    ("not a number", {"lat": "north"}, "lat"),
    ("outside the city", {"lat": "21.0285", "long": "105.8542"}, "Hồ Chí Minh"),
    ("no description", {"description": "  "}, "description"),
    ("unknown address_id", {"lat": None, "long": None, "address_id": "99999"}, "99999"),
    ("value not in list", {"attribute[damage_type]": "sinkhole"}, "damage_type"),
    ("number that is not", {"attribute[pothole_size_cm]": "big"}, "pothole_size_cm"),
    ("infinite number", {"attribute[pothole_size_cm]": "inf"}, "pothole_size_cm"),
    ("attribute of another service", {"attribute[noise_source]": "karaoke"}, "noise_source"),
    ("two values for a single list", {"attribute[damage_type][]": ["pothole", "crack"]}, "damage_type"),
    ("media_url not http", {"media_url": "javascript:alert(1)"}, "media_url"),
    ("phone too long", {"phone": "0" * 40}, "phone"),
]


@pytest.mark.parametrize(("case", "overrides", "mentions"), BAD_FORMS, ids=[c[0] for c in BAD_FORMS])
async def test_bad_requests_are_400_and_write_nothing(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    api_key: str,
    case: str,
    overrides: dict[str, Any],
    mentions: str,
) -> None:
    before = await _report_count(maker)
    messages = assert_errors_json(await post_request(client, pothole_form(api_key, **overrides)), 400)
    assert any(mentions in m for m in messages), messages
    assert_errors_xml(await post_request(client, pothole_form(api_key, **overrides), fmt="xml"), 400)
    assert await _report_count(maker) == before


@pytest.mark.parametrize(
    ("service", "attributes", "mentions"),
    [
        (
            "noise",
            {"attribute[noise_source]": "karaoke", "attribute[noise_time]": "2026-11-29T23:30"},
            "noise_time",
        ),
        ("noise", {"attribute[noise_source]": "karaoke", "attribute[noise_time]": "yesterday"}, "noise_time"),
        (
            "flooding_drainage",
            {"attribute[flood_depth_cm]": "20", "attribute[drainage_problems][]": ["river"]},
            "drainage",
        ),
        ("trees", {"attribute[tree_problems][]": ["fallen", "on_fire"]}, "tree_problems"),
        ("street_lighting", {"attribute[pole_number]": "A\nB"}, "pole_number"),
        ("illegal_construction", {"attribute[construction_details]": "x" * 4001}, "construction_details"),
    ],
)
async def test_each_datatype_is_validated(
    client: httpx.AsyncClient, api_key: str, service: str, attributes: dict[str, Any], mentions: str
) -> None:
    form = pothole_form(api_key, service_code=service)
    form = {k: v for k, v in form.items() if not k.startswith("attribute[")} | attributes
    messages = assert_errors_json(await post_request(client, form), 400)
    assert any(mentions in m for m in messages), messages


async def test_every_datatype_is_stored_when_valid(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    base = {"attribute[damage_type]": None, "attribute[pothole_size_cm]": None}
    cases = [
        (
            "noise",
            {
                "attribute[noise_source]": "karaoke",
                "attribute[noise_time]": "2026-11-29T16:30:00Z",
                "attribute[recurring][]": "yes",
            },
        ),
        (
            "flooding_drainage",
            {
                "attribute[flood_depth_cm]": "35.5",
                "attribute[drainage_problems][]": ["blocked_drain", "bad_smell"],
            },
        ),
        ("street_lighting", {"attribute[pole_number]": "BT-0412"}),
        ("illegal_construction", {"attribute[construction_details]": "Xây thêm tầng 4.\nThi công ban đêm."}),
    ]
    stored = {}
    for service, attributes in cases:
        request_id = await create_request(client, api_key, **(base | {"service_code": service} | attributes))
        async with maker() as session:
            report = await _report(maker, request_id)
            extra = await session.get(Open311Submission, report.id)
            assert extra is not None
            stored[service] = extra.attributes
    assert stored["noise"] == {
        "noise_source": "karaoke",
        "noise_time": "2026-11-29T23:30:00+07:00",
        "recurring": "yes",
    }
    assert stored["flooding_drainage"] == {
        "flood_depth_cm": 35.5,
        "drainage_problems": ["blocked_drain", "bad_smell"],
    }
    assert stored["street_lighting"] == {"pole_number": "BT-0412"}
    assert stored["illegal_construction"]["construction_details"].startswith("Xây thêm")


async def test_contact_goes_to_the_report_and_identity_fields_stay_private(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    request_id = await create_request(
        client,
        api_key,
        first_name="Nguyễn",
        last_name="Văn An",
        email="an.nguyen@example.vn",
        phone="0901 234 567",
        device_id="device-abc",
        account_id="acct-123",
    )
    report = await _report(maker, request_id)
    assert report.contact_name == "Nguyễn Văn An"
    assert report.contact_email == "an.nguyen@example.vn" and report.contact_phone is not None
    for path in (f"requests/{request_id}", "requests"):
        for fmt in ("json", "xml"):
            text = (await client.get(f"{BASE}/{path}.{fmt}", params={"extensions": "true"})).text
            assert request_id in text
            for secret in ("Nguyễn Văn An", "an.nguyen", "234 567", "901234567", "device-abc", "acct-123"):
                assert secret not in text


async def test_invalid_email_is_400(client: httpx.AsyncClient, api_key: str) -> None:
    messages = assert_errors_json(
        await post_request(client, pothole_form(api_key, email="not-an-email")), 400
    )
    assert messages


async def test_idempotency_key_replays_the_first_answer(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    before = await _report_count(maker)
    headers = {"Idempotency-Key": "retry-1"}
    first = await post_request(client, pothole_form(api_key), headers=headers)
    second = await post_request(client, pothole_form(api_key), fmt="xml", headers=headers)
    assert first.status_code == 201 and second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    request_id = first.json()[0]["service_request_id"]
    assert xml(second).findtext("./request/service_request_id") == request_id
    # The answer's own headers come back unchanged, whichever format the retry asked for.
    assert second.headers["location"] == first.headers["location"] == f"{BASE}/requests/{request_id}.json"
    assert (await client.get(first.headers["location"])).status_code == 200
    assert await _report_count(maker) == before + 1
    other = await post_request(client, pothole_form(api_key, description="Khác hẳn"), headers=headers)
    assert_errors_json(other, 400)


async def test_multipart_media_is_attached_and_served_without_exif(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    r = await client.post(
        f"{BASE}/requests.json",
        data=pothole_form(api_key),
        files={"media": ("photo.jpg", jpeg_with_gps(), "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    request_id = r.json()[0]["service_request_id"]
    async with maker() as session:
        import uuid

        media = (await session.scalars(select(Media).where(Media.report_id == uuid.UUID(request_id)))).all()
    assert len(media) == 1
    (item,) = (await client.get(f"{BASE}/requests/{request_id}.json")).json()
    assert item["media_url"] == f"http://test/media/{media[0].storage_key}"
    photo = await client.get(item["media_url"].removeprefix("http://test"))
    assert photo.status_code == 200 and b"PhoneMaker" not in photo.content


async def test_media_that_is_not_an_image_is_400(client: httpx.AsyncClient, api_key: str) -> None:
    r = await client.post(
        f"{BASE}/requests.json",
        data=pothole_form(api_key),
        files={"media": ("a.txt", b"hello", "text/plain")},
    )
    assert r.status_code == 400 and r.json()[0]["code"] == 400


async def test_media_url_is_kept_and_shown(client: httpx.AsyncClient, api_key: str) -> None:
    url = "https://photos.example.org/p/123.jpg"
    request_id = await create_request(client, api_key, media_url=url)
    (item,) = (await client.get(f"{BASE}/requests/{request_id}.json")).json()
    assert item["media_url"] == url


async def test_notice_in_english(client: httpx.AsyncClient, api_key: str) -> None:
    r = await client.post(f"{BASE}/requests.json", params={"locale": "en"}, data=pothole_form(api_key))
    assert r.json()[0]["service_notice"].startswith("Sent to ")


async def test_a_generic_client_posts_code_location_and_description_for_every_service(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], api_key: str
) -> None:
    services = (await client.get(f"{BASE}/services.json")).json()
    # The five that once required an attribute among them.
    assert {"road_damage", "traffic_signal", "flooding_drainage", "noise", "trees"} <= {
        s["service_code"] for s in services
    }
    for item in services:
        form = {
            "api_key": api_key,
            "service_code": item["service_code"],
            "lat": "10.7725",
            "long": "106.6980",
            "description": "Cần kiểm tra tại chỗ.",
        }
        r = await post_request(client, form)
        assert r.status_code == 201, (item["service_code"], r.text)
        report = await _report(maker, r.json()[0]["service_request_id"])
        assert report.category_code == item["service_code"]
