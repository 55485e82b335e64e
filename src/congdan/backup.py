"""Backup and restore of the embedded default: the SQLite database, the media folder and the key
file, consistent with each other.

The database is copied first, with SQLite's online backup API (a consistent snapshot while the
server keeps writing), then the media folder. A photo's file is written before the row naming it is
committed, so every photo the snapshot names is already in the folder when the folder is copied; a
file written after the snapshot is copied too and is merely unreferenced after a restore. The key
file goes with them: without it the sealed personal data in the snapshot cannot be read. A backup
is therefore as secret as the data itself.

PostgreSQL is backed up with its own tools (base backups and WAL archiving: deploy/ and
docs/deployment.md), not here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from congdan.config import Settings

MANIFEST = "manifest.json"
DATABASE = "congdan.sqlite3"
MEDIA = "media"
KEY_FILE = "secret.key"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in both languages."""


@dataclass(frozen=True)
class Summary:
    directory: Path
    media_files: int
    database_bytes: int


def _database_path(settings: Settings) -> Path:
    if not settings.is_sqlite:
        raise BackupError(
            "CSDL là PostgreSQL: dùng sao lưu của PostgreSQL (xem docs/deployment.md) / "
            "the database is PostgreSQL: use PostgreSQL's base backups and WAL archiving"
        )
    path = settings.sqlite_path
    if path is None:
        raise BackupError("CSDL SQLite trong bộ nhớ không sao lưu được / an in-memory database has no file")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".tmp-"))


def backup(settings: Settings, target: Path) -> Summary:
    source = _database_path(settings)
    if not source.exists():
        raise BackupError(f"không có CSDL / no database at {source}")
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"thư mục đích không trống / the target folder is not empty: {target}")
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)
    snapshot = target / DATABASE
    with sqlite3.connect(source) as live, sqlite3.connect(snapshot) as copy:
        live.backup(copy)
    snapshot.chmod(0o600)
    media_root = settings.resolved_media_dir
    files = _media_files(media_root)
    for path in files:
        dest = target / MEDIA / path.relative_to(media_root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    key = settings.data_dir / KEY_FILE
    if key.exists():
        shutil.copy2(key, target / KEY_FILE)
        (target / KEY_FILE).chmod(0o600)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database_sha256": _sha256(snapshot),
        "media_files": len(files),
        "key_file": key.exists(),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return Summary(target, len(files), snapshot.stat().st_size)


def _read_manifest(source: Path) -> dict[str, object]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"không đọc được bản sao lưu / not a readable backup: {source}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"định dạng sao lưu lạ / unknown backup format in {source}")
    snapshot = source / DATABASE
    if not snapshot.exists() or _sha256(snapshot) != manifest.get("database_sha256"):
        raise BackupError("CSDL trong bản sao lưu bị hỏng / the backup's database fails its checksum")
    if len(_media_files(source / MEDIA)) != manifest.get("media_files"):
        raise BackupError("thiếu tệp ảnh trong bản sao lưu / the backup's media folder is incomplete")
    return manifest


def restore(settings: Settings, source: Path, *, force: bool = False) -> Summary:
    """Puts the backup in place of the data folder's database, media and key. What was there is
    kept beside it (`*.before-restore-<time>`), never deleted. The server must be stopped."""
    manifest = _read_manifest(source)
    database = _database_path(settings)
    media_root = settings.resolved_media_dir
    if database.exists() and not force:
        raise BackupError(
            "đã có CSDL; thêm --force để thay (bản cũ được giữ lại bên cạnh) / "
            "a database is already there; pass --force to replace it (the old one is kept beside it)"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    database.parent.mkdir(parents=True, exist_ok=True)
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"), media_root):
        if path.exists():
            path.rename(path.with_name(f"{path.name}.before-restore-{stamp}"))
    staged = database.with_name(f".{database.name}.restoring")
    shutil.copy2(source / DATABASE, staged)
    os.replace(staged, database)
    if (source / MEDIA).is_dir():
        shutil.copytree(source / MEDIA, media_root)
    else:
        media_root.mkdir(parents=True, exist_ok=True)
    if manifest.get("key_file"):
        key = settings.data_dir / KEY_FILE
        if key.exists():
            key.rename(key.with_name(f"{KEY_FILE}.before-restore-{stamp}"))
        shutil.copy2(source / KEY_FILE, key)
        key.chmod(0o600)
    return Summary(source, len(_media_files(media_root)), database.stat().st_size)
