"""A browser refused a page sees a readable page in the page's language; an API client, whatever it
accepts, keeps problem+json."""

from __future__ import annotations

import httpx

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_an_unknown_page_is_readable_in_vietnamese_then_english(client: httpx.AsyncClient) -> None:
    page = await client.get("/khong-co-trang-nay", headers=BROWSER)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy" in page.text and 'href="/"' in page.text and '<html lang="vi">' in page.text
    english = await client.get("/khong-co-trang-nay", params={"lang": "en"}, headers=BROWSER)
    assert english.status_code == 404 and '<html lang="en">' in english.text and "Not found" in english.text


async def test_a_malformed_page_address_names_what_is_wrong(client: httpx.AsyncClient) -> None:
    page = await client.get("/tin-tuc/khong-phai-ma", headers=BROWSER)
    assert page.status_code in (404, 422) and page.headers["content-type"].startswith("text/html")
    assert "<h1>" in page.text


async def test_a_staff_address_leads_back_to_the_workbench(client: httpx.AsyncClient) -> None:
    page = await client.get("/staff/khong-co", headers=BROWSER)
    assert page.status_code == 404 and 'href="/staff/"' in page.text


async def test_the_api_keeps_problem_json_even_for_a_browser(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/reports/khong-phai-ma", headers=BROWSER)
    assert r.status_code in (400, 404, 422)
    assert r.headers["content-type"].startswith("application/problem+json")
    # Open311 answers in its own error format, and a browser gets that too.
    r = await client.get("/open311/v2/requests/khong-co.json", headers=BROWSER)
    assert r.status_code in (400, 404) and r.headers["content-type"].startswith("application/json")
    plain = await client.get("/khong-co-trang-nay")
    assert plain.headers["content-type"].startswith("application/problem+json")
