"""The residents' catalogue pages: search without accents, life events, one procedure with its
blank forms, and a readable refusal for a filter that is not in the catalogue."""

from __future__ import annotations

import httpx


async def test_the_catalogue_page_finds_a_misspelt_unaccented_query(client: httpx.AsyncClient) -> None:
    page = await client.get("/dich-vu-cong", params={"q": "dang ki khai sin"})
    assert page.status_code == 200
    assert 'href="/dich-vu-cong/HT-01"' in page.text
    assert "Có em bé" in page.text and "Hộ tịch" in page.text


async def test_a_life_event_lists_its_procedures(client: httpx.AsyncClient) -> None:
    page = await client.get("/dich-vu-cong", params={"life_event": "nguoi_than_qua_doi"})
    assert "/dich-vu-cong/HT-05" in page.text and "/dich-vu-cong/CT-04" in page.text
    assert "/dich-vu-cong/KD-01" not in page.text


async def test_an_unknown_field_is_a_readable_refusal(client: httpx.AsyncClient) -> None:
    page = await client.get("/dich-vu-cong", params={"field": "khong_co"})
    assert page.status_code == 400
    assert "Không có lĩnh vực này trong danh mục." in page.text


async def test_one_procedure_shows_what_to_bring_and_its_blank_form(client: httpx.AsyncClient) -> None:
    page = await client.get("/dich-vu-cong/HT-01")
    assert page.status_code == 200
    for text in ("Đăng ký khai sinh", "Giấy chứng sinh", "Luật Hộ tịch 2014", "Trực tuyến toàn trình"):
        assert text in page.text
    form = await client.get("/dich-vu-cong/mau/to-khai-khai-sinh.pdf")
    assert form.status_code == 200 and form.content.startswith(b"%PDF")
    assert (await client.get("/dich-vu-cong/mau/khong-co.pdf")).status_code == 404
    assert (await client.get("/dich-vu-cong/XX-99")).status_code == 404
    # A single version lists no versions; its own number is also its page.
    assert "Các phiên bản" not in page.text
    assert (await client.get("/dich-vu-cong/HT-01/phien-ban/1")).status_code == 200

    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    missing = await client.get("/dich-vu-cong/HT-01/phien-ban/9", headers=browser)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy phiên bản này của thủ tục." in missing.text
    malformed = await client.get("/dich-vu-cong/HT-01/phien-ban/mot", headers=browser)
    assert malformed.status_code == 422 and malformed.headers["content-type"].startswith("text/html")
    assert 'href="/dich-vu-cong"' in malformed.text


async def test_the_page_in_english_and_the_navigation_link(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert 'href="/dich-vu-cong"' in home.text
    page = await client.get("/dich-vu-cong", params={"lang": "en"})
    assert "Find a procedure" in page.text and "Having a baby" in page.text and "Civil status" in page.text
