"""What people read is whole in their language: no status codes, byte offsets, English validator text
or unit codes inside a Vietnamese message, and limits said in numbers people know."""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.models import Area, Report
from tests.conftest import Actors, report_body, submit

EN = {"Accept-Language": "en"}
Maker = async_sessionmaker[AsyncSession]


async def _force(maker: Maker, report_id: str, **values: Any) -> None:
    async with maker() as s, s.begin():
        await s.execute(update(Report).where(Report.id == uuid.UUID(report_id)).values(**values))


async def _move(
    client: httpx.AsyncClient, report_id: str, headers: dict[str, str], to: str, **extra: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/reports/{report_id}/transitions", json={"to": to}, headers=headers | extra
    )


async def test_a_refused_move_names_the_statuses_in_words(
    client: httpx.AsyncClient, actors: Actors, maker: Maker
) -> None:
    coordinator = await actors.staff("coordinator")
    report = await submit(client)
    await _force(maker, report["id"], status="in_progress")
    vi = (await _move(client, report["id"], coordinator, "in_progress")).json()
    assert vi["detail"] == "Không thể chuyển phản ánh từ trạng thái «Đang xử lý» sang «Đang xử lý»."
    en = (await _move(client, report["id"], coordinator, "in_progress", **EN)).json()
    assert "«In progress»" in en["detail"] and "in_progress" not in en["detail"]


async def test_a_forbidden_move_names_the_status_in_words(client: httpx.AsyncClient, actors: Actors) -> None:
    resident = await actors.resident()
    report = await submit(client, resident)
    assert report["status"] == "assigned"
    vi = await _move(client, report["id"], resident, "in_progress")
    assert vi.status_code == 403
    assert vi.json()["detail"] == "Bạn không có quyền chuyển phản ánh sang trạng thái «Đang xử lý»."
    en = (await _move(client, report["id"], resident, "in_progress", **EN)).json()
    assert "«In progress»" in en["detail"] and "in_progress" not in en["detail"]


def _messages(problem: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["message"] for e in problem["errors"]}


async def test_validation_messages_have_no_english_in_vietnamese(client: httpx.AsyncClient) -> None:
    body = report_body(kind="complaint", location={"lat": "north", "long": 106.7})
    vi = await client.post("/api/v1/reports", json=body)
    assert vi.status_code == 422
    messages = _messages(vi.json())
    assert messages["kind"] == "Giá trị phải là một trong: report, suggestion, idea."
    assert messages["location.lat"] == "Cần một số, ví dụ 10.77."
    en = _messages((await client.post("/api/v1/reports", json=body, headers=EN)).json())
    assert en["kind"] == "Must be one of: report, suggestion, idea."
    assert en["location.lat"] == "A number is needed, for example 10.77."


async def test_counted_limits_use_plural_forms(client: httpx.AsyncClient) -> None:
    short = _messages(
        (await client.post("/api/v1/reports", json=report_body(description=""), headers=EN)).json()
    )
    assert "at least 1 character." in short["description"]
    long_text = "x" * 5000
    r = await client.post("/api/v1/reports", json=report_body(description=long_text), headers=EN)
    assert _messages(r.json())["description"].endswith("characters.")
    vi = _messages((await client.post("/api/v1/reports", json=report_body(description=""))).json())
    assert "ít nhất" in vi["description"] and "ký tự" in vi["description"]


async def test_invalid_json_is_named_as_the_body(client: httpx.AsyncClient) -> None:
    bad = b'{"category": "road_damage", "description": '
    headers = {"Content-Type": "application/json"}
    vi = await client.post("/api/v1/reports", content=bad, headers=headers)
    assert vi.status_code == 422
    [error] = vi.json()["errors"]
    assert error["field"] == "body"
    assert error["message"].startswith("Nội dung gửi lên không phải JSON hợp lệ")
    en = (await client.post("/api/v1/reports", content=bad, headers=headers | EN)).json()
    assert en["errors"][0]["message"].startswith("The request body is not valid JSON")


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


async def test_an_enormous_png_is_told_it_is_too_large(client: httpx.AsyncClient, settings: Settings) -> None:
    files = {"file": ("big.png", _png_claiming(20000, 20000), "image/png")}
    vi = await client.post("/api/v1/uploads", files=files)
    assert vi.status_code == 422, vi.text
    megapixels = f"{settings.max_photo_pixels / 1_000_000:g}"
    assert vi.json()["detail"].startswith(f"Ảnh quá lớn: tối đa {megapixels} megapixel")
    en = await client.post("/api/v1/uploads", files=files, headers=EN)
    assert f"at most {megapixels} megapixels" in en.json()["detail"]


async def test_a_photo_over_our_own_pixel_limit_gives_its_size(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    side = int((settings.max_photo_pixels * 1.2) ** 0.5)  # past our limit, below Pillow's own
    out = io.BytesIO()
    Image.new("L", (side, side)).save(out, format="PNG")
    r = await client.post("/api/v1/uploads", files={"file": ("big.png", out.getvalue(), "image/png")})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"Ảnh {side}×{side} quá lớn")


async def test_a_body_over_the_limit_is_told_the_limit(client: httpx.AsyncClient, settings: Settings) -> None:
    mb = settings.max_body_bytes // (1024 * 1024)
    big = b"a=" + b"b" * (settings.max_body_bytes + 1)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = await client.post("/api/v1/reports", content=big, headers=form)
    assert r.status_code == 413
    assert r.json()["detail"] == f"Dữ liệu gửi lên vượt quá giới hạn {mb} MB."
    r = await client.post("/api/v1/reports", content=big, headers=form | EN)
    assert r.json()["detail"] == f"The request body is over the {mb} MB limit."
    # JSON bodies have a limit of their own, far smaller, told in kilobytes.
    kb = settings.max_json_body_bytes // 1024
    json_body = b"{" + b" " * settings.max_json_body_bytes + b"}"
    as_json = {"Content-Type": "application/json"}
    r = await client.post("/api/v1/reports", content=json_body, headers=as_json)
    assert r.status_code == 413
    assert r.json()["detail"] == f"Dữ liệu gửi lên vượt quá giới hạn {kb} KB."
    r = await client.post("/api/v1/reports", content=json_body, headers=as_json | EN)
    assert r.json()["detail"] == f"The request body is over the {kb} KB limit."


async def test_news_pages_name_the_units(client: httpx.AsyncClient, actors: Actors, maker: Maker) -> None:
    async with maker() as s:
        code, unit_name = (await s.execute(select(Area.code, Area.name).order_by(Area.code).limit(1))).one()
    officer = await actors.staff("agency_officer", "so_xay_dung")
    body = {"title": "Cắt điện khu vực", "body": "Cắt điện từ 8 giờ.", "scope": "units", "units": [code]}
    created = await client.post("/api/v1/announcements", json=body, headers=officer)
    assert created.status_code == 201, created.text
    for path in ("/tin-tuc", f"/tin-tuc/{created.json()['id']}"):
        page = (await client.get(path)).text
        assert f"Đơn vị: {unit_name}" in page and f": {code}" not in page
        english = (await client.get(path, headers=EN)).text
        assert f"Units: {unit_name}" in english and "Toàn thành phố" not in english


async def test_the_result_screen_says_a_report_is_being_sorted(
    client: httpx.AsyncClient, maker: Maker
) -> None:
    report = await submit(client, description="Một việc chưa rõ lĩnh vực ở gần chợ Bến Thành.")
    await _force(maker, report["id"], status="triage", category_code=None, agency_code=None)
    page = (await client.get(f"/da-gui/{report['tracking_code']}")).text
    assert "Đang phân loại" in page and "đã được gửi tới" not in page
    english = (await client.get(f"/da-gui/{report['tracking_code']}", headers=EN)).text
    assert "Being sorted" in english and "Đang phân loại" not in english


async def test_topic_names_come_from_the_catalogue(client: httpx.AsyncClient) -> None:
    vi = {t["code"]: t["name"] for t in (await client.get("/api/v1/announcement-topics")).json()}
    en = {t["code"]: t["name"] for t in (await client.get("/api/v1/announcement-topics", headers=EN)).json()}
    assert vi["traffic"] == "Giao thông" and en["traffic"] == "Traffic"
