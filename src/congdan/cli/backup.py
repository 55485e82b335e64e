"""`backup` and `restore`: the embedded default's database, media and key file, together."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from congdan.cli.common import DataDir, fail, settings_for

Force = Annotated[
    bool, typer.Option("--force", help="Thay dữ liệu hiện có (giữ bản cũ bên cạnh) / replace what is there")
]

Folder = Annotated[Path, typer.Argument(help="Thư mục sao lưu / backup folder")]


def backup(target: Folder, data_dir: DataDir = None) -> None:
    """Sao lưu CSDL SQLite, ảnh và khóa / back up the SQLite database, media and key file."""
    from congdan import backup as backups

    try:
        done = backups.backup(settings_for(data_dir), target)
    except backups.BackupError as exc:
        fail(exc)
    typer.echo(
        f"Đã sao lưu / backed up: {done.directory} "
        f"({done.database_bytes} bytes of database, {done.media_files} media files)"
    )


def restore(
    source: Folder,
    data_dir: DataDir = None,
    force: Force = False,
) -> None:
    """Khôi phục từ bản sao lưu (dừng máy chủ trước) / restore a backup (stop the server first)."""
    from congdan import backup as backups

    try:
        done = backups.restore(settings_for(data_dir), source, force=force)
    except backups.BackupError as exc:
        fail(exc)
    typer.echo(f"Đã khôi phục / restored from {done.directory} ({done.media_files} media files)")
