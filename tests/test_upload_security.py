"""Uploads: the size limit bites while the body streams in; metadata of every accepted format is
gone from the stored bytes; stored names are ours."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import httpx
import pillow_heif
from PIL import Image, PngImagePlugin

from congdan.config import Settings

pillow_heif.register_heif_opener()

CHUNK = 64 * 1024


async def test_oversized_upload_is_refused_while_streaming(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent = 0
    total = 4 * settings.max_photo_bytes
    boundary = "xyzBOUNDARY"

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        yield b"\xff\xd8\xff\xe0"
        while sent < total:
            sent += CHUNK
            yield b"\0" * CHUNK
        yield f"\r\n--{boundary}--\r\n".encode()

    # No Content-Length: only counting while reading can stop it.
    r = await client.post(
        "/api/v1/uploads",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 413, r.text
    assert r.headers["content-type"] == "application/problem+json"
    # The server stopped reading just past the photo limit, far short of what the client had.
    assert sent < settings.max_photo_bytes + 4 * CHUNK + 64 * 1024
    assert sent < total


async def test_declared_oversized_upload_is_refused_before_reading(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    big = b"\xff\xd8\xff" + b"0" * (settings.max_photo_bytes + 128 * 1024)
    r = await client.post("/api/v1/uploads", files={"file": ("a.jpg", big, "image/jpeg")})
    assert r.status_code == 413


def _with_metadata(fmt: str) -> bytes:
    image = Image.new("RGB", (120, 90), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (10.0, 46.0, 21.0), 3: "E", 4: (106.0, 41.0, 53.0)}
    out = io.BytesIO()
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "PhoneMaker secret note")
        image.save(out, format="PNG", pnginfo=info, exif=exif.tobytes())
    elif fmt == "JPEG":
        xmp = b"<x:xmpmeta><rdf:Description GPSLatitude='10,46.35N'>PhoneMaker</rdf:Description></x:xmpmeta>"
        image.save(out, format="JPEG", exif=exif.tobytes(), xmp=xmp, comment=b"PhoneMaker comment")
    else:
        image.save(out, format=fmt, exif=exif.tobytes())
    return out.getvalue()


async def test_metadata_of_every_format_is_gone_from_stored_bytes(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    for fmt in ("JPEG", "PNG", "WEBP", "HEIF"):
        original = _with_metadata(fmt)
        with Image.open(io.BytesIO(original)) as im:
            assert im.getexif(), fmt  # the metadata really is in what the phone sends
        r = await client.post("/api/v1/uploads", files={"file": ("../x.php", original, "image/jpeg")})
        assert r.status_code == 201, (fmt, r.text)
        body = r.json()
        for url in (body["url"], body["thumbnail_url"]):
            # Our random name under photos/, nothing of the client's name.
            assert re.fullmatch(r"/media/photos/[0-9a-f]{2}/[0-9a-f]{32}(-thumb)?\.jpg", url), url
            stored = (settings.resolved_media_dir / url.removeprefix("/media/")).read_bytes()
            for marker in (b"PhoneMaker", b"Exif", b"xmpmeta", b"GPS"):
                assert marker not in stored, (fmt, marker)
            with Image.open(io.BytesIO(stored)) as im:
                assert im.format == "JPEG"
                assert not im.getexif() and not im.info.get("xmp") and "comment" not in im.info
