"""The `congdan` command: one module per group of subcommands."""

from __future__ import annotations

import typer

from congdan.cli.areas import areas_app
from congdan.cli.backup import backup, restore
from congdan.cli.classifier import classifier_app
from congdan.cli.common import load_handlers as _load_handlers
from congdan.cli.database import db_app, seed_app
from congdan.cli.privacy import audit_app, keys_app
from congdan.cli.server import serve
from congdan.cli.users import apikey_app, user_app
from congdan.cli.worker import worker

__all__ = ["_load_handlers", "app", "main"]

app = typer.Typer(
    help="Công dân số — máy chủ và công cụ quản trị / server and admin tools.", no_args_is_help=True
)
app.command()(serve)
app.command()(worker)
app.command()(backup)
app.command()(restore)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
app.add_typer(areas_app, name="areas")
app.add_typer(classifier_app, name="classifier")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")


def main() -> None:
    from pydantic import ValidationError

    from congdan.kit.crypto import KeyConfigError

    try:
        app()
    except KeyConfigError as exc:
        # A missing or malformed data key is a setup mistake: say so without a traceback.
        typer.echo(f"Lỗi cấu hình / configuration error: {exc}", err=True)
        raise SystemExit(1) from None
    except ValidationError as exc:
        # A malformed CONGDAN_ setting, likewise.
        messages = "; ".join(str(error["msg"]).removeprefix("Value error, ") for error in exc.errors())
        typer.echo(f"Lỗi cấu hình / configuration error: {messages}", err=True)
        raise SystemExit(1) from None
