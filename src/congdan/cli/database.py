"""`db` and `seed`: bringing a database up to date and filling it with demo data."""

from __future__ import annotations

import asyncio

import typer

from congdan.cli.common import DataDir, settings_for
from congdan.cli.server import print_demo

db_app = typer.Typer(help="Cơ sở dữ liệu / database", no_args_is_help=True)
seed_app = typer.Typer(help="Dữ liệu mẫu / demo data", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None) -> None:
    """Áp dụng migration và dữ liệu tham chiếu / apply migrations and reference data."""
    from congdan.migrate import upgrade

    settings = settings_for(data_dir)
    added = asyncio.run(upgrade(settings))
    typer.echo(f"Đã cập nhật cơ sở dữ liệu / database upgraded: {added}")


@seed_app.command("demo")
def seed_demo(data_dir: DataDir = None) -> None:
    """Nạp dữ liệu mẫu / seed demo data."""
    from congdan.migrate import upgrade

    settings = settings_for(data_dir)
    asyncio.run(upgrade(settings))
    print_demo(settings)
