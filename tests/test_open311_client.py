"""A real third-party client, the `georeport` package from PyPI, against a live server on a port.

The server is uvicorn in a thread, on the test database, so the client speaks HTTP exactly as it
would to any city; nothing here knows our internals.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import requests
import uvicorn
from georeport import GeoReport

from congdan.app import create_app
from congdan.categories.data import CATEGORY_CODES
from congdan.config import Settings
from congdan.db import utcnow
from tests.open311_support import create_request, new_api_key

JURISDICTION = "hochiminhcity.gov.vn"


@pytest.fixture
async def live_url(settings: Settings) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # a free port, held from now until the server owns it
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, run_worker=False), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the live server did not start"
    try:
        yield f"http://127.0.0.1:{port}/open311/v2"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 15)
        sock.close()


def _as_list(value: Any) -> list[Any]:
    # xmltodict gives a dict for one element and a list for several.
    return value if isinstance(value, list) else [value]


async def test_georeport_client_reads_everything_in_json_and_xml(
    client: httpx.AsyncClient, maker: Any, live_url: str
) -> None:
    key = await new_api_key(maker)
    pothole = await create_request(client, key)
    noise = await create_request(
        client,
        key,
        service_code="noise",
        description="Karaoke đến 1 giờ sáng.",
        **{
            "attribute[damage_type]": None,
            "attribute[pothole_size_cm]": None,
            "attribute[noise_source]": "karaoke",
        },
    )
    as_json = GeoReport(live_url, jurisdiction=JURISDICTION)
    as_xml = GeoReport(live_url, jurisdiction=JURISDICTION, output_format="xml")

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return asyncio.to_thread(fn, *args, **kwargs)

    # Services.
    services = await run(as_json.get_service_list)
    assert [s["service_code"] for s in services] == list(CATEGORY_CODES)
    xml_services = await run(as_xml.get_service_list)
    assert [s["service_code"] for s in xml_services] == list(CATEGORY_CODES)
    road = next(s for s in xml_services if s["service_code"] == "road_damage")
    assert road["metadata"] == "true" and road["type"] == "realtime"

    # Service definitions.
    definition = await run(as_json.get_service_definition, "flooding_drainage")
    assert [a["datatype"] for a in definition["attributes"]] == ["number", "multivaluelist", "datetime"]
    xml_definition = await run(as_xml.get_service_definition, "noise")
    attributes = _as_list(xml_definition["attributes"]["attribute"])
    assert attributes[0]["code"] == "noise_source"
    assert [v["key"] for v in attributes[0]["values"]["value"]] == [
        "karaoke",
        "construction",
        "business",
        "vehicles",
        "other",
    ]

    # Request lists with filters.
    start = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    listed = await run(
        as_json.get_service_requests, service_code="noise", status="open", start_date=start, end_date=end
    )
    assert [r["service_request_id"] for r in listed] == [noise]
    xml_listed = _as_list(
        await run(as_xml.get_service_requests, service_code="noise,road_damage", status="open")
    )
    assert sorted(r["service_request_id"] for r in xml_listed) == sorted([pothole, noise])
    by_id = await run(as_json.get_service_requests, service_request_id=f"{pothole},{noise}", status="closed")
    assert sorted(r["service_request_id"] for r in by_id) == sorted([pothole, noise])
    assert await run(as_json.get_service_requests, status="closed") == []

    # Single requests.
    one = await run(as_json.get_service_request, pothole)
    assert one["service_request_id"] == pothole and one["service_code"] == "road_damage"
    xml_one = await run(as_xml.get_service_request, noise)
    assert xml_one["service_request_id"] == noise and xml_one["status"] == "open"
    assert xml_one["agency_responsible"]

    # The client surfaces our errors as HTTP errors.
    with pytest.raises(requests.HTTPError) as missing:
        await run(as_json.get_service_definition, "graffiti")
    assert missing.value.response.status_code == 404
    assert missing.value.response.json()[0]["code"] == 404
    wrong_place = GeoReport(live_url, jurisdiction="hanoi.gov.vn", output_format="xml")
    with pytest.raises(requests.HTTPError) as elsewhere:
        await run(wrong_place.get_service_list)
    assert elsewhere.value.response.status_code == 404
    assert b"<errors><error><code>404</code>" in elsewhere.value.response.content
