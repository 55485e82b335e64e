"""A withdrawn announcement's attachment is still served under /media/ (as image/jpeg), by a key
anyone can work out from the attachment's public id; a private report's photo is served to anyone
holding its URL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Actors, jpeg_with_gps, submit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def _announce(client: httpx.AsyncClient, officer: dict[str, str], **extra: Any) -> tuple[str, str]:
    body = {"title": "Lịch cấm đường Lê Lợi", "body": "Cấm xe từ 22 giờ đến 5 giờ sáng.", **extra}
    r = await client.post("/api/v1/announcements", json=body, headers=officer)
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    r = await client.post(
        f"/api/v1/announcements/{aid}/attachments", files={"file": ("lich.pdf", PDF)}, headers=officer
    )
    assert r.status_code == 201, r.text
    return aid, f"/media/announcements/{uuid.UUID(r.json()['id']).hex}.pdf"


async def test_attachments_are_served_while_published_only(client: httpx.AsyncClient, actors: Actors) -> None:
    officer = await actors.staff("agency_officer", "so_xay_dung")
    aid, url = await _announce(client, officer)
    live = await client.get(url)
    assert live.status_code == 200 and live.content == PDF
    assert live.headers["content-type"] == "application/pdf"
    assert live.headers["content-disposition"].startswith("attachment;")
    assert (await client.post(f"/api/v1/announcements/{aid}/withdraw", headers=officer)).status_code == 200
    for who in ({}, officer):
        gone = await client.get(url, headers=who)
        assert gone.status_code == 404 and PDF not in gone.content
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    _aid, scheduled = await _announce(client, officer, publish_at=later)
    assert (await client.get(scheduled)).status_code == 404


async def _upload(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> dict[str, Any]:
    files = {"file": ("a.jpg", jpeg_with_gps(), "image/jpeg")}
    r = await client.post("/api/v1/uploads", files=files, headers=headers or {})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_photos_are_served_to_those_who_may_see_them(client: httpx.AsyncClient, actors: Actors) -> None:
    owner, stranger = await actors.resident(), await actors.resident()
    photo = await _upload(client, owner)
    # Before it is attached, the photo is its uploader's alone.
    assert (await client.get(photo["url"], headers=stranger)).status_code == 404
    assert (await client.get(photo["url"], headers=owner)).status_code == 200
    private = await submit(client, owner, visibility="private", photos=[photo["id"]])
    officer = await actors.staff("agency_officer", private["agency"]["code"])
    for url in (photo["url"], photo["thumbnail_url"]):
        for who in ({}, stranger):
            assert (await client.get(url, headers=who)).status_code == 404
        for who in (owner, officer):
            r = await client.get(url, headers=who)
            assert r.status_code == 200 and r.headers["content-type"] == photo["content_type"]
            assert r.headers["cache-control"].startswith("private")

    public = await submit(client, photos=[(await _upload(client))["id"]])
    shown = await client.get(public["photos"][0]["url"])
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    # A photo on a step the public does not see is the agency's, not the public's.
    officer_public = await actors.staff("agency_officer", public["agency"]["code"])
    evidence = await _upload(client, officer_public)
    r = await client.post(
        f"/api/v1/reports/{public['id']}/transitions",
        json={"to": "in_progress", "public": False, "photos": [evidence["id"]]},
        headers=officer_public,
    )
    assert r.status_code == 200, r.text
    assert (await client.get(evidence["url"])).status_code == 404
    assert (await client.get(evidence["url"], headers=officer_public)).status_code == 200


async def test_a_file_no_row_claims_is_not_served(client: httpx.AsyncClient, app: Any) -> None:
    await app.state.storage.put("photos/ab/stray.jpg", b"\xff\xd8\xff stray bytes")
    assert (await client.get("/media/photos/ab/stray.jpg")).status_code == 404
    assert (await client.get("/media/../etc/passwd")).status_code == 404
