"""Media on an S3-compatible server: the adapter against a real one on 127.0.0.1, and a whole app
whose settings point at a bucket — uploads land in the bucket under the prefix and never in the
folder, are served back through /media, and what erasure removes is deleted from the bucket."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import ValidationError
from sqlalchemy import func, select

from congdan.app import create_app
from congdan.config import Settings
from congdan.integrations.storage import S3Storage
from congdan.kit.errors import ServiceUnavailable
from congdan.models import Media
from tests.conftest import Actors, jpeg_with_gps, report_body
from tests.s3_server import ACCESS_KEY, REGION, SECRET_KEY, S3Server, s3_server
from tests.servers import unused_port


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture
def bucket(s3: S3Server) -> str:
    name = f"congdan-{uuid.uuid4().hex[:12]}"
    s3.make_bucket(name)
    return name


def _adapter(s3: S3Server, bucket: str, prefix: str = "media") -> S3Storage:
    return S3Storage(
        f"s3://{bucket}/{prefix}",
        endpoint_url=s3.endpoint_url,
        region=REGION,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
    )


async def test_the_adapter_stores_reads_and_deletes_objects_under_its_prefix(
    s3: S3Server, bucket: str
) -> None:
    store = _adapter(s3, bucket, "thanh-pho/anh")
    await store.put("2026/12/abc.jpg", b"\xff\xd8 bytes of a photo")
    assert s3.keys(bucket) == ["thanh-pho/anh/2026/12/abc.jpg"]
    assert await store.get("2026/12/abc.jpg") == b"\xff\xd8 bytes of a photo"
    assert await store.get("2026/12/missing.jpg") is None
    await store.delete("2026/12/abc.jpg")
    assert s3.keys(bucket) == []
    await store.delete("2026/12/abc.jpg")  # erasure may run twice
    for bad in ("../etc/passwd.jpg", "a//b.jpg", "UPPER.jpg", "no-extension"):
        with pytest.raises(ValueError):
            await store.put(bad, b"x")
    assert s3.keys(bucket) == []


async def test_an_unreachable_server_is_a_503_to_retry_not_a_hang(s3: S3Server) -> None:
    store = S3Storage(
        "s3://nowhere/media",
        endpoint_url=f"http://127.0.0.1:{unused_port()}",  # nothing listens there
        region=REGION,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
    )
    for operation in (store.put("a.jpg", b"x"), store.get("a.jpg"), store.delete("a.jpg")):
        with pytest.raises(ServiceUnavailable) as refused:
            await operation
        assert refused.value.headers.get("Retry-After") == "5"


def test_only_an_s3_address_is_taken_as_the_media_url() -> None:
    for bad in ("http://bucket/media", "s3://", "s3://Bucket_With_Caps/x", "/var/media"):
        with pytest.raises(ValidationError):
            Settings(media_url=bad)
    assert Settings(media_url="s3://thanh-pho.media/anh").media_url == "s3://thanh-pho.media/anh"


@pytest_asyncio.fixture
async def bucket_app(settings: Settings, s3: S3Server, bucket: str) -> AsyncIterator[Any]:
    in_bucket = settings.model_copy(update=s3.settings_env(bucket, "media"))
    app = create_app(in_bucket, run_worker=False)
    async with app.router.lifespan_context(app):
        yield app


async def test_photos_live_in_the_bucket_when_the_settings_say_so(
    bucket_app: Any, settings: Settings, s3: S3Server, bucket: str
) -> None:
    transport = httpx.ASGITransport(app=bucket_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        actors = Actors(client, bucket_app.state.sessionmaker, settings)
        resident = await actors.resident("+84901112288")
        photo = jpeg_with_gps()
        upload = await client.post(
            "/api/v1/uploads", files={"file": ("a.jpg", photo, "image/jpeg")}, headers=resident
        )
        assert upload.status_code == 201, upload.text
        key = upload.json()["url"].removeprefix("/media/")
        stored = s3.keys(bucket)
        assert f"media/{key}" in stored and len(stored) == 2  # the photo and its thumbnail
        assert all(k.startswith("media/") for k in stored)
        assert not (settings.resolved_media_dir / key).exists()  # never written to the folder

        made = await client.post(
            "/api/v1/reports", json=report_body(photos=[upload.json()["id"]]), headers=resident
        )
        assert made.status_code == 201, made.text
        served = await client.get(upload.json()["url"], headers=resident)
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert served.content == s3.client().get_object(Bucket=bucket, Key=f"media/{key}")["Body"].read()

        # A photo uploaded but never sent goes with the account; the sent one stays with the report.
        unsent = await client.post(
            "/api/v1/uploads", files={"file": ("b.jpg", jpeg_with_gps(color=(9, 90, 9)), "image/jpeg")},
            headers=resident,
        )
        assert unsent.status_code == 201, unsent.text
        assert len(s3.keys(bucket)) == 4
        erased = await client.delete("/api/v1/me", params={"confirm": "true"}, headers=resident)
        assert erased.status_code == 204, erased.text
        await bucket_app.state.shared.relay(bucket_app.state.sessionmaker, settings).drain()
        assert s3.keys(bucket) == stored
        public = await client.get(upload.json()["url"])
        assert public.status_code == 200 and public.content == served.content


async def test_an_upload_while_the_bucket_is_unreachable_answers_503_and_stores_nothing(
    settings: Settings,
) -> None:
    nowhere = S3Server(endpoint_url=f"http://127.0.0.1:{unused_port()}")  # nothing listens there
    down = settings.model_copy(update=nowhere.settings_env("unreachable", "media"))
    app = create_app(down, run_worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            resident = await Actors(client, app.state.sessionmaker, settings).resident("+84901112299")
            upload = await client.post(
                "/api/v1/uploads", files={"file": ("a.jpg", jpeg_with_gps(), "image/jpeg")}, headers=resident
            )
            assert upload.status_code == 503, upload.text
            assert upload.headers["content-type"].startswith("application/problem+json")
            assert upload.headers["retry-after"] == "5"
            async with app.state.sessionmaker() as session:
                assert await session.scalar(select(func.count()).select_from(Media)) == 0
