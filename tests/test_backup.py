"""The restore drill for the embedded default: back up a data folder that is in use, write more,
lose the folder, restore it — every report acknowledged before the backup is there with its photos,
the resident finds them again (their phone is looked up with the restored key), and what was written
after the backup is not. A damaged backup, an occupied folder and a PostgreSQL database are refused
and change nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from congdan.app import create_app
from congdan.config import Settings
from congdan.migrate import upgrade
from tests.conftest import Actors, jpeg_with_gps, report_body
from tests.live_server import congdan_script

PHONE = "+84901234500"


def _congdan(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONGDAN_")} | env
    return subprocess.run(
        [congdan_script(), *args], env=clean, capture_output=True, text=True, timeout=120, check=False
    )


@asynccontextmanager
async def _app(data_dir: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Actors]]:
    settings = Settings(data_dir=data_dir, rate_limits_enabled=False)
    await upgrade(settings)
    app = create_app(settings, run_worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, Actors(client, app.state.sessionmaker, settings)


async def _report_with_photo(client: httpx.AsyncClient, who: dict[str, str], n: int) -> dict[str, Any]:
    photo = jpeg_with_gps(color=(20 * n, 40, 200 - 20 * n))
    upload = await client.post("/api/v1/uploads", files={"file": ("p.jpg", photo, "image/jpeg")}, headers=who)
    assert upload.status_code == 201, upload.text
    made = await client.post(
        "/api/v1/reports",
        json=report_body(description=f"Ổ gà số {n} trên đường Lê Lợi", photos=[upload.json()["id"]]),
        headers=who,
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    body["photo_bytes"] = (await client.get(body["photos"][0]["url"], headers=who)).content
    return body


async def test_a_backup_restores_every_report_acknowledged_before_it_with_its_photos(tmp_path: Path) -> None:
    data, saved = tmp_path / "var", tmp_path / "backup"
    async with _app(data) as (client, actors):
        resident = await actors.resident(PHONE)
        before = [await _report_with_photo(client, resident, n) for n in range(3)]

    done = _congdan("backup", str(saved), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert (saved / "manifest.json").exists() and (saved / "secret.key").exists()
    assert oct((saved / "secret.key").stat().st_mode & 0o777) == "0o600"

    async with _app(data) as (client, actors):
        after = await _report_with_photo(client, await actors.resident(PHONE), 9)

    refused = _congdan("restore", str(saved), "--data-dir", str(data))
    assert refused.returncode == 1 and "--force" in refused.stderr
    async with _app(data) as (client, _):  # nothing changed
        assert (await client.get(f"/api/v1/reports/{after['id']}")).status_code == 200

    shutil.rmtree(data)  # the machine is lost
    restored = _congdan("restore", str(saved), "--data-dir", str(data))
    assert restored.returncode == 0, restored.stderr

    async with _app(data) as (client, actors):
        resident = await actors.resident(PHONE)
        mine = await client.get("/api/v1/reports", params={"mine": "true"}, headers=resident)
        assert mine.status_code == 200, mine.text
        assert sorted(r["id"] for r in mine.json()["items"]) == sorted(r["id"] for r in before)
        for report in before:
            found = await client.get(f"/api/v1/reports/{report['id']}", headers=resident)
            assert found.status_code == 200 and found.json()["tracking_code"] == report["tracking_code"]
            photo = await client.get(report["photos"][0]["url"], headers=resident)
            assert photo.status_code == 200 and photo.content == report["photo_bytes"]
        assert (await client.get(f"/api/v1/reports/{after['id']}")).status_code == 404


async def test_a_damaged_backup_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    data, saved = tmp_path / "var", tmp_path / "backup"
    async with _app(data) as (client, actors):
        kept = await _report_with_photo(client, await actors.resident(PHONE), 1)
    assert _congdan("backup", str(saved), "--data-dir", str(data)).returncode == 0
    with (saved / "congdan.sqlite3").open("r+b") as fh:
        fh.seek(200)
        fh.write(b"\x00garbage\x00")
    shutil.rmtree(data / "media")
    refused = _congdan("restore", str(saved), "--data-dir", str(data), "--force")
    assert refused.returncode == 1 and "checksum" in refused.stderr
    assert not (data / "media").exists()  # nothing was moved aside or copied
    assert not list(data.glob("*.before-restore-*"))
    async with _app(data) as (client, _):
        assert (await client.get(f"/api/v1/reports/{kept['id']}")).status_code == 200

    again = _congdan("backup", str(saved), "--data-dir", str(data))
    assert again.returncode == 1 and "not empty" in again.stderr


def test_postgresql_is_backed_up_with_its_own_tools(tmp_path: Path) -> None:
    refused = _congdan(
        "backup",
        str(tmp_path / "backup"),
        "--data-dir",
        str(tmp_path),
        CONGDAN_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
    )
    assert refused.returncode == 1 and "PostgreSQL" in refused.stderr
    assert not (tmp_path / "backup").exists()


def test_an_in_memory_database_has_no_file_to_back_up(tmp_path: Path) -> None:
    refused = _congdan(
        "backup",
        str(tmp_path / "backup"),
        "--data-dir",
        str(tmp_path),
        CONGDAN_DATABASE_URL="sqlite+aiosqlite:///:memory:",
    )
    assert refused.returncode == 1 and "in-memory" in refused.stderr
    assert not (tmp_path / "backup").exists()
    on_disk = Settings(data_dir=tmp_path)
    assert on_disk.sqlite_path == (tmp_path / "congdan.sqlite3").resolve()
