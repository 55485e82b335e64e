"""What every command shares: the data directory option, settings, and how a failure is said."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from congdan.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Thư mục dữ liệu (mặc định ./var) / data directory")
]


def settings_for(data_dir: Path | None) -> Settings:
    if data_dir is not None:
        os.environ["CONGDAN_DATA_DIR"] = str(data_dir)
    return Settings()


def fail(exc: Exception) -> NoReturn:
    from congdan.kit.errors import AppError
    from congdan.kit.i18n import translate

    if isinstance(exc, AppError):
        messages = [translate(e.message, "vi", **(e.params or {})) for e in exc.errors] or [
            translate(exc.detail, "vi", **exc.params)
        ]
    else:
        messages = [str(exc)]
    typer.echo("Lỗi / error: " + "; ".join(messages), err=True)
    raise typer.Exit(1) from exc


def in_transaction(
    settings: Settings,
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    upgrade_first: bool = False,
    failures: tuple[type[Exception], ...] = (),
) -> T:
    """Run `work` in one transaction on an engine of its own; a refusal (an AppError, or one of
    `failures`) becomes the "Lỗi / error: …" line and exit code 1 instead of a traceback.
    `upgrade_first` brings the database up to date before, so an admin's first command on a new
    data directory just works."""
    from congdan.db import standalone_transaction
    from congdan.kit.errors import AppError

    async def run() -> T:
        if upgrade_first:
            from congdan.migrate import upgrade

            await upgrade(settings)
        async with standalone_transaction(settings) as session:
            return await work(session)

    caught: tuple[type[Exception], ...] = (AppError, *failures)
    try:
        return asyncio.run(run())
    except caught as exc:
        fail(exc)


def load_handlers() -> None:
    """Every outbox handler and what the process wires together, imported before anything starts:
    a missing module (a dependency not installed) is said here, by name, and nothing starts."""
    try:
        from congdan.wiring import HandlersUnavailable, build_registry
    except ImportError as exc:
        typer.echo(f"Lỗi / error: thiếu mô-đun / missing module {exc.name or ''}: {exc}", err=True)
        raise typer.Exit(1) from exc
    try:
        build_registry()
    except HandlersUnavailable as exc:
        typer.echo(f"Lỗi / error: không tải được các bộ xử lý outbox / {exc}", err=True)
        raise typer.Exit(1) from exc


def configure_logging(settings: Settings) -> None:
    from congdan.kit.logs import configure

    configure(settings.log_level, settings.log_format)
