"""GeoReport v2 discovery, service list and service definitions, in both formats."""

from __future__ import annotations

import httpx
import pytest

from congdan.categories.data import CATEGORY_CODES
from congdan.open311.definitions import SERVICES
from tests.open311_support import BASE, W3C, assert_errors_json, assert_errors_xml, xml

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]


async def test_discovery_json_and_xml(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{BASE}/discovery.json")
    assert r.status_code == 200
    body = r.json()
    assert W3C.match(body["changeset"])
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://test/open311/v2"
    assert endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert body["contact"] and body["key_service"]

    root = xml(await client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.findall("./endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]
    assert root.findtext("./endpoints/endpoint/url") == "http://test/open311/v2"


async def test_service_list_is_a_bare_array_of_every_category(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{BASE}/services.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body, list)
    assert {s["service_code"] for s in body} == set(CATEGORY_CODES)
    for service in body:
        assert list(service) == SERVICE_FIELDS
        assert service["type"] == "realtime"
        assert service["metadata"] is bool(SERVICES[service["service_code"]].attributes)
    road = next(s for s in body if s["service_code"] == "road_damage")
    assert road["service_name"] == "Hư hỏng mặt đường, ổ gà, sụp lún"
    assert road["group"] == "Giao thông"
    assert "ổ gà" in road["keywords"]
    assert any(s["metadata"] is False for s in body)


async def test_service_list_xml(client: httpx.AsyncClient) -> None:
    root = xml(await client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    services = list(root)
    assert len(services) == len(CATEGORY_CODES)
    assert all(s.tag == "service" for s in services)
    assert [c.tag for c in services[0]] == SERVICE_FIELDS
    noise = next(s for s in services if s.findtext("service_code") == "noise")
    assert noise.findtext("metadata") == "true"
    assert noise.findtext("service_name") == "Tiếng ồn"
    other = next(s for s in services if s.findtext("service_code") == "traffic_congestion")
    assert other.findtext("metadata") == "false"


@pytest.mark.parametrize(
    ("params", "headers"),
    [({"locale": "en"}, {}), ({"locale": "en_US"}, {}), ({}, {"Accept-Language": "en-GB,en;q=0.8"})],
)
async def test_service_list_in_english_when_asked(
    client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str]
) -> None:
    body = (await client.get(f"{BASE}/services.json", params=params, headers=headers)).json()
    road = next(s for s in body if s["service_code"] == "road_damage")
    assert road["service_name"] == "Road damage, potholes"
    assert road["group"] == "Traffic and roads"
    assert "pothole" in road["keywords"]
    assert road["description"].startswith("Potholes")


async def test_every_datatype_is_defined_with_values_for_lists(client: httpx.AsyncClient) -> None:
    seen: set[str] = set()
    for code in CATEGORY_CODES:
        r = await client.get(f"{BASE}/services/{code}.json")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["service_code"] == code
        assert len(body["attributes"]) == len(SERVICES[code].attributes)
        for order, attribute in enumerate(body["attributes"], start=1):
            seen.add(attribute["datatype"])
            assert attribute["order"] == order
            assert attribute["variable"] is True
            assert isinstance(attribute["required"], bool)
            assert attribute["description"]
            if attribute["datatype"] in ("singlevaluelist", "multivaluelist"):
                assert attribute["values"] and all(set(v) == {"key", "name"} for v in attribute["values"])
            else:
                assert "values" not in attribute
    assert seen == {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


async def test_service_definition_xml_and_english(client: httpx.AsyncClient) -> None:
    root = xml(await client.get(f"{BASE}/services/flooding_drainage.xml", params={"locale": "en"}))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "flooding_drainage"
    attributes = root.findall("./attributes/attribute")
    assert [a.findtext("code") for a in attributes] == [
        "flood_depth_cm",
        "drainage_problems",
        "flood_started_at",
    ]
    depth, problems, _started = attributes
    assert depth.findtext("datatype") == "number" and depth.findtext("required") == "false"
    assert depth.findtext("description") == "Depth of the water (cm)"
    values = problems.findall("./values/value")
    assert [v.findtext("key") for v in values] == [
        "flooded_street",
        "blocked_drain",
        "missing_cover",
        "bad_smell",
    ]
    assert values[2].findtext("name") == "Missing manhole cover"


async def test_unknown_service_code_is_404_in_both_formats(client: httpx.AsyncClient) -> None:
    (message,) = assert_errors_json(await client.get(f"{BASE}/services/potholes.json"), 404)
    assert "potholes" in message
    assert_errors_xml(await client.get(f"{BASE}/services/potholes.xml"), 404)


async def test_jurisdiction_is_checked(client: httpx.AsyncClient) -> None:
    for given in ("hochiminhcity.gov.vn", ""):
        ok = await client.get(f"{BASE}/services.json", params={"jurisdiction_id": given})
        assert ok.status_code == 200 and isinstance(ok.json(), list)
    for path in ("services", "services/noise", "requests"):
        bad = await client.get(f"{BASE}/{path}.json", params={"jurisdiction_id": "hanoi.gov.vn"})
        (message,) = assert_errors_json(bad, 404)
        assert "hanoi.gov.vn" in message
    assert_errors_xml(await client.get(f"{BASE}/services.xml", params={"jurisdiction_id": "x"}), 404)


async def test_unknown_format_and_endpoint_answer_open311_errors(client: httpx.AsyncClient) -> None:
    assert_errors_json(await client.get(f"{BASE}/services.csv"), 404)
    assert_errors_json(await client.get(f"{BASE}/nothing.json"), 404)
    assert_errors_xml(await client.get(f"{BASE}/nothing.xml"), 404)
    assert_errors_json(await client.post(f"{BASE}/services.json"), 404)


async def test_errors_follow_the_callers_language(client: httpx.AsyncClient) -> None:
    (vi,) = assert_errors_json(await client.get(f"{BASE}/services/nope.json"), 404)
    (en,) = assert_errors_json(await client.get(f"{BASE}/services/nope.json", params={"locale": "en"}), 404)
    assert vi == "Không có service_code nope."
    assert en == "service_code nope was not found."


async def test_openapi_lists_every_open311_operation_with_its_real_answers(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    operations = {
        (path.removeprefix(BASE), method): set(op["responses"])
        for path, item in paths.items()
        if path.startswith(BASE)
        for method, op in item.items()
    }
    assert operations == {
        ("/discovery.{fmt}", "get"): {"200", "404", "4XX"},
        ("/services.{fmt}", "get"): {"200", "404", "4XX"},
        ("/services/{service_code}.{fmt}", "get"): {"200", "404", "4XX"},
        ("/requests.{fmt}", "get"): {"200", "400", "404", "4XX"},
        ("/requests.{fmt}", "post"): {"201", "400", "403", "404", "4XX"},
        ("/requests/{service_request_id}.{fmt}", "get"): {"200", "404", "4XX"},
        ("/tokens/{token}.{fmt}", "get"): {"200", "404", "4XX"},
    }
    post = paths[f"{BASE}/requests.{{fmt}}"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/x-www-form-urlencoded", "multipart/form-data"}
