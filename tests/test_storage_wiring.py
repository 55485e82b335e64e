"""The process's one storage is used everywhere: uploads, serving and erasure go through the
storage interface, so another store (here a second implementation, keeping bytes in memory)
loses nothing and leaves nothing behind."""

from __future__ import annotations

import httpx

from congdan.app import create_app
from congdan.config import Settings
from tests.conftest import Actors, jpeg_with_gps


class MemoryStorage:
    """A second implementation of congdan.integrations.storage.Storage."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes) -> None:
        self.files[key] = data

    async def get(self, key: str) -> bytes | None:
        return self.files.get(key)

    async def delete(self, key: str) -> None:
        self.files.pop(key, None)


async def test_erasure_deletes_files_through_the_storage_of_the_process(settings: Settings) -> None:
    store = MemoryStorage()
    app = create_app(settings, run_worker=False, storage=store)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            actors = Actors(client, app.state.sessionmaker, settings)
            resident = await actors.resident("+84901112277")
            upload = await client.post(
                "/api/v1/uploads", files={"file": ("a.jpg", jpeg_with_gps(), "image/jpeg")}, headers=resident
            )
            assert upload.status_code == 201, upload.text
            key = upload.json()["url"].removeprefix("/media/")
            assert key in store.files and len(store.files) >= 1
            assert not (settings.resolved_media_dir / key).exists()  # never written to the folder
            served = await client.get(upload.json()["url"], headers=resident)
            assert served.status_code == 200 and served.content == store.files[key]

            erased = await client.delete("/api/v1/me", params={"confirm": "true"}, headers=resident)
            assert erased.status_code == 204, erased.text
            relay = app.state.shared.relay(app.state.sessionmaker, settings)
            await relay.drain()
            assert store.files == {}
