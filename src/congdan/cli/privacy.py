"""`keys` and `audit`: the keys that encrypt personal data, and the audit log's hash chain."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from congdan.cli.common import DataDir, in_transaction, settings_for

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

keys_app = typer.Typer(help="Khóa mã hóa dữ liệu cá nhân / data encryption keys", no_args_is_help=True)
audit_app = typer.Typer(help="Nhật ký kiểm toán / audit log", no_args_is_help=True)


@keys_app.command("generate")
def keys_generate() -> None:
    """In ra một khóa mới cho CONGDAN_DATA_KEY / print a new CONGDAN_DATA_KEY entry."""
    from congdan.kit.crypto import generate_key_entry

    typer.echo(generate_key_entry())
    typer.echo(
        "Đặt khóa mới lên đầu CONGDAN_DATA_KEY (giữ khóa cũ phía sau), rồi chạy `congdan keys rotate`. / "
        "Put it first in CONGDAN_DATA_KEY (keep the old ones after it), then run `congdan keys rotate`.",
        err=True,
    )


@keys_app.command("rotate")
def keys_rotate(data_dir: DataDir = None) -> None:
    """Mã hóa lại mọi dữ liệu bằng khóa chính / re-encrypt everything under the primary key."""
    from congdan.privacy.keys import rotate

    settings = settings_for(data_dir)

    async def work(session: AsyncSession) -> dict[str, int]:
        return await rotate(session, settings.keyring)

    counts = in_transaction(settings, work)
    typer.echo(f"Khóa chính / primary key: {settings.keyring.primary}")
    for name, n in counts.items():
        typer.echo(f"  {name}: {n}")
    typer.echo(f"Đã mã hóa lại / re-encrypted: {sum(counts.values())}")


@audit_app.command("verify")
def audit_verify(data_dir: DataDir = None) -> None:
    """Kiểm tra chuỗi băm của nhật ký / walk the audit log's hash chain."""
    from congdan.audit.service import verify_chain

    async def work(session: AsyncSession) -> tuple[int, str, str | None]:
        result = await verify_chain(session)
        return result.checked, result.head, result.problem

    checked, head, problem = in_transaction(settings_for(data_dir), work)
    if problem is not None:
        typer.echo(f"Chuỗi nhật ký bị phá vỡ / audit chain broken: {problem}", err=True)
        typer.echo(f"Các dòng trước đó nguyên vẹn / rows before it intact: {checked}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Nhật ký nguyên vẹn / audit chain intact: {checked} dòng / rows")
    # Kept somewhere else (a ticket, a printout), the head proves later that nothing before it changed.
    typer.echo(f"Băm cuối / head hash: {head}")
