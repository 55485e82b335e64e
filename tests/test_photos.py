"""Photos: content checked, re-encoded, EXIF and GPS gone from the stored bytes, limits enforced."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import httpx
import pillow_heif
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.config import Settings
from congdan.models import Media
from tests.conftest import Actors, jpeg_with_gps, png_bytes, report_body

pillow_heif.register_heif_opener()


async def _upload(
    client: httpx.AsyncClient,
    data: bytes,
    name: str = "photo.jpg",
    ctype: str = "image/jpeg",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post("/api/v1/uploads", files={"file": (name, data, ctype)}, headers=headers or {})


def _stored(settings: Settings, url: str) -> bytes:
    return (settings.resolved_media_dir / url.removeprefix("/media/")).read_bytes()


async def test_exif_and_gps_are_removed_from_stored_bytes(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    original = jpeg_with_gps()
    assert b"PhoneMaker" in original
    r = await _upload(client, original, name="../../etc/passwd.jpg")
    assert r.status_code == 201, r.text
    body = r.json()
    stored = _stored(settings, body["url"])
    assert b"PhoneMaker" not in stored and b"SecretSoftware" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as im:
        assert im.format == "JPEG"
        assert not im.getexif()
        assert im.size == (640, 480)
    thumb = _stored(settings, body["thumbnail_url"])
    with Image.open(io.BytesIO(thumb)) as im:
        assert max(im.size) <= 320
    # The client's file name plays no part in where it is stored.
    assert "passwd" not in body["url"] and ".." not in body["url"]
    served = await client.get(body["url"])
    assert served.status_code == 200 and served.content == stored
    assert served.headers["content-type"] == "image/jpeg"


async def test_png_webp_heic_are_accepted(client: httpx.AsyncClient) -> None:
    webp = io.BytesIO()
    Image.new("RGB", (50, 40), (9, 9, 9)).save(webp, format="WEBP")
    heic = io.BytesIO()
    Image.new("RGB", (60, 30), (200, 10, 10)).save(heic, format="HEIF")
    for data, name in ((png_bytes(), "a.png"), (webp.getvalue(), "b.webp"), (heic.getvalue(), "c.heic")):
        r = await _upload(client, data, name=name, ctype="application/octet-stream")
        assert r.status_code == 201, (name, r.text)
        assert r.json()["content_type"] == "image/jpeg"


async def test_content_not_name_decides(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession]
) -> None:
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    for data in (
        b"<?php echo 'hi'; ?>",
        b"\xff\xd8\xff\xe0 truncated jpeg",
        gif.getvalue(),
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    ):
        r = await _upload(client, data, name="photo.jpg")
        assert r.status_code == 415, r.text
        assert r.headers["content-type"] == "application/problem+json"
    async with maker() as s:
        assert await s.scalar(select(func.count()).select_from(Media)) == 0


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims enormous dimensions: a decompression bomb's calling card."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


async def test_decompression_bomb_is_refused(client: httpx.AsyncClient) -> None:
    r = await _upload(client, _png_header_only(30000, 30000), name="bomb.png", ctype="image/png")
    assert r.status_code in (415, 422), r.text


async def test_size_limits(client: httpx.AsyncClient, settings: Settings) -> None:
    big = b"\xff\xd8\xff" + b"0" * (settings.max_photo_bytes + 1)
    r = await _upload(client, big)
    assert r.status_code == 413
    assert (await _upload(client, b"")).status_code == 422


async def test_photos_attach_once_and_only_by_owner(client: httpx.AsyncClient, actors: Actors) -> None:
    owner = await actors.resident()
    other = await actors.resident()
    photo = (await _upload(client, jpeg_with_gps(), headers=owner)).json()["id"]
    r = await client.post("/api/v1/reports", json=report_body(photos=[photo]), headers=other)
    assert r.status_code == 422
    r = await client.post("/api/v1/reports", json=report_body(photos=[photo]), headers=owner)
    assert r.status_code == 201
    assert [p["id"] for p in r.json()["photos"]] == [photo]
    r = await client.post("/api/v1/reports", json=report_body(photos=[photo]), headers=owner)
    assert r.status_code == 422  # already used


async def test_at_most_five_photos(client: httpx.AsyncClient) -> None:
    ids = [(await _upload(client, png_bytes())).json()["id"] for _ in range(6)]
    r = await client.post("/api/v1/reports", json=report_body(photos=ids))
    assert r.status_code == 422
    r = await client.post("/api/v1/reports", json=report_body(photos=ids[:5]))
    assert r.status_code == 201 and len(r.json()["photos"]) == 5


async def test_media_paths_cannot_escape(client: httpx.AsyncClient, settings: Settings) -> None:
    secret = Path(settings.data_dir) / "secret.txt"
    secret.write_text("do not serve")
    for path in (
        "/media/../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/photos/../../secret.txt",
        "/media/secret.txt",
    ):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert "do not serve" not in r.text


def _jpeg_with_position(gps: dict[int, object]) -> bytes:
    exif = Image.Exif()
    exif[0x8825] = gps
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


async def test_the_uploader_is_told_the_photos_gps_position_and_nobody_keeps_it(
    client: httpx.AsyncClient, settings: Settings, maker: async_sessionmaker[AsyncSession]
) -> None:
    r = await _upload(client, jpeg_with_gps())
    assert r.status_code == 201, r.text
    body = r.json()
    # 10°46'21" N, 106°41'53" E
    assert body["exif_location"] == {"lat": 10.7725, "long": 106.698056}
    with Image.open(io.BytesIO(_stored(settings, body["url"]))) as im:
        assert not im.getexif().get_ifd(0x8825)
    report = (await client.post("/api/v1/reports", json=report_body(photos=[body["id"]]))).json()
    for shown in (report, (await client.get(f"/api/v1/reports/{report['id']}")).json()):
        assert "exif_location" not in shown["photos"][0] and "10.7725" not in str(shown["photos"])
    async with maker() as session:
        media = (await session.scalars(select(Media).where(Media.report_id.is_not(None)))).one()
    assert "10.77" not in str({c.key: getattr(media, c.key) for c in Media.__table__.columns})


async def test_photos_without_a_usable_position_say_so(client: httpx.AsyncClient) -> None:
    south_west = _jpeg_with_position({1: "S", 2: (33.0, 52.0, 4.8), 3: "W", 4: (151.0, 12.0, 36.0)})
    assert (await _upload(client, south_west)).json()["exif_location"] == {"lat": -33.868, "long": -151.21}
    no_fix = _jpeg_with_position({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)})
    impossible = _jpeg_with_position({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (106.0, 0.0, 0.0)})
    for data in (png_bytes(), no_fix, impossible):
        r = await _upload(client, data, name="x.png")
        assert r.status_code == 201 and r.json()["exif_location"] is None


async def test_the_exif_location_is_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    answer = document["paths"]["/api/v1/uploads"]["post"]["responses"]["201"]["content"]["application/json"]
    name = answer["schema"]["$ref"].rsplit("/", 1)[1]
    field = document["components"]["schemas"][name]["properties"]["exif_location"]
    # Present (null when the photo has none) in a first answer, absent from a replay: optional.
    assert "EXIF" in field["description"] and "Idempotency-Key" in field["description"]
    assert "exif_location" not in document["components"]["schemas"][name].get("required", [])
