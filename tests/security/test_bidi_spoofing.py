"""Bidirectional overrides and invisible characters cannot disguise what a person typed: they are
taken out of names and titles, and the pages isolate every piece of user text."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Actors, report_body, submit

pytestmark = pytest.mark.asyncio

RLO = "\u202e"  # right-to-left override: "gpj.exe" shows as "exe.jpg"
INVISIBLE = "\u200b\u2066\u200f\ufeff\u2060"


async def test_a_contact_name_loses_overrides_and_invisible_characters(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    name = f"Nguyễn{INVISIBLE} Văn{RLO}A\u200d"
    created = await submit(client, contact={"name": name, "phone": "0901234567"})
    coordinator = await actors.staff("coordinator")
    r = await client.get(f"/api/v1/reports/{created['id']}", headers=coordinator)
    assert r.status_code == 200, r.text
    assert r.json()["contact"]["name"] == "Nguyễn VănA"


async def test_a_description_keeps_its_lines_but_not_its_overrides(client: httpx.AsyncClient) -> None:
    created = await submit(client, description=f"Ổ gà{RLO} sâu\u0085\r\nDòng hai\u202a\u2067")
    assert created["description"] == "Ổ gà sâu\nDòng hai"


async def test_an_announcement_title_loses_them_too(client: httpx.AsyncClient, actors: Actors) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    r = await client.post(
        "/api/v1/announcements",
        json={"title": f"Cấm\u200b xe{RLO} Lê Lợi", "body": f"Từ 22 giờ{RLO}.\nĐến 5 giờ."},
        headers=officer,
    )
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "Cấm xe Lê Lợi"
    assert r.json()["body"] == "Từ 22 giờ.\nĐến 5 giờ."
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    attached = await client.post(
        f"/api/v1/announcements/{r.json()['id']}/attachments",
        files={"file": ("Lịch.pdf", pdf, "application/pdf")},
        headers=officer,
    )
    assert attached.status_code == 201, attached.text
    page = await client.get(f"/tin-tuc/{r.json()['id']}")
    assert "<bdi>Lịch.pdf</bdi>" in page.text
    assert page.status_code == 200
    assert '<h1 dir="auto">Cấm xe Lê Lợi</h1>' in page.text
    assert '<div class="note" dir="auto">' in page.text


async def test_pages_isolate_user_text(client: httpx.AsyncClient) -> None:
    created = await submit(client, **report_body(description="Ổ gà trước số 12"))
    page = await client.get(f"/theo-doi/{created['tracking_code']}")
    assert page.status_code == 200, page.text
    assert '<p class="note" dir="auto">Ổ gà trước số 12</p>' in page.text
    # The public list of reports lives on the map page.
    listed = await client.get("/ban-do")
    assert '<p class="note" dir="auto">Ổ gà trước số 12</p>' in listed.text
