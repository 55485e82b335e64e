"""A small PNG that decodes to a 1×49,000,000 strip is refused before it is decoded, and hostile
uploads at once keep a real server process under a memory ceiling."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from congdan.config import Settings
from congdan.integrations import images
from tests.live_server import ServerProcess, congdan_serve

pytestmark = pytest.mark.asyncio

# What ten uploads at once may add to the server's peak memory: two decodes of a 36-megapixel
# photo at a time (image_workers=2) measured about 470 MiB; unbounded, six strips took 4 GiB.
CEILING_MIB = 700


@pytest.fixture(scope="module")
def strip() -> bytes:
    out = io.BytesIO()
    Image.new("1", (1, 49_000_000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


@pytest.fixture(scope="module")
def large_photo() -> bytes:
    out = io.BytesIO()
    Image.new("L", (6000, 6000), 128).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    log = tmp_path_factory.mktemp("images") / "server.log"
    with congdan_serve(settings, log, CONGDAN_IMAGE_WORKERS="2") as server:
        yield server


async def _upload(client: httpx.AsyncClient, data: bytes, **headers: str) -> httpx.Response:
    return await client.post("/api/v1/uploads", files={"file": ("a.png", data, "image/png")}, headers=headers)


async def test_the_strip_is_refused_naming_the_limit(server: ServerProcess, strip: bytes) -> None:
    assert len(strip) < 100_000
    async with httpx.AsyncClient(base_url=server.url, timeout=120, trust_env=False) as client:
        vi = await _upload(client, strip)
        en = await _upload(client, strip, **{"accept-language": "en"})
    assert vi.status_code == en.status_code == 422, vi.text
    assert vi.json()["detail"] == "Ảnh 1×49000000 quá dài hoặc quá rộng: mỗi cạnh tối đa 20000 điểm ảnh."
    assert en.json()["detail"] == "The 1×49000000 image is too long or too wide: at most 20000 pixels a side."


async def test_a_thin_strip_within_the_sides_is_refused_by_its_shape(server: ServerProcess) -> None:
    out = io.BytesIO()
    Image.new("L", (400, 19_000)).save(out, format="PNG")
    async with httpx.AsyncClient(base_url=server.url, timeout=120, trust_env=False) as client:
        r = await _upload(client, out.getvalue())
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == "Ảnh 400×19000 quá hẹp: cạnh dài tối đa gấp 20 lần cạnh ngắn."


async def test_ten_hostile_uploads_at_once_stay_under_the_ceiling(
    server: ServerProcess, strip: bytes, large_photo: bytes
) -> None:
    before = server.peak_rss_mib()
    async with httpx.AsyncClient(base_url=server.url, timeout=300, trust_env=False) as client:
        strips = [_upload(client, strip) for _ in range(10)]
        photos = [_upload(client, large_photo) for _ in range(10)]
        health = [client.get("/healthz") for _ in range(10)]
        answers = await asyncio.gather(*strips, *photos, *health)
    assert [r.status_code for r in answers[:10]] == [422] * 10
    assert [r.status_code for r in answers[10:20]] == [201] * 10  # real photos still go through
    assert [r.status_code for r in answers[20:]] == [200] * 10
    grown = server.peak_rss_mib() - before
    assert grown < CEILING_MIB, f"peak memory grew by {grown:.0f} MiB"


async def test_a_large_jpeg_is_decoded_at_a_reduced_scale() -> None:
    """The draft mode decodes an 8000×6000 JPEG at half scale: a quarter of the pixels in memory,
    still more than the 2560 pixels a side that are kept."""
    out = io.BytesIO()
    Image.new("L", (8000, 6000), 90).save(out, format="JPEG")
    decoded = images._open(out.getvalue(), images.ImageLimits(max_pixels=50_000_000))
    assert decoded.size == (4000, 3000)
    processed = images.process_image(out.getvalue(), max_pixels=50_000_000)
    assert (processed.width, processed.height) == (2560, 1920)
