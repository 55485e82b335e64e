"""`user` and `apikey`: staff accounts and the keys of API clients."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from congdan.cli.common import DataDir, in_transaction, settings_for

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

user_app = typer.Typer(help="Tài khoản / accounts", no_args_is_help=True)
apikey_app = typer.Typer(help="Khóa API / API keys", no_args_is_help=True)

Email = Annotated[str, typer.Option(help="Email")]
Role = Annotated[str, typer.Option(help="coordinator | agency_manager | agency_officer | admin")]
Agency = Annotated[str | None, typer.Option(help="Mã cơ quan / agency code")]


@user_app.command("create")
def user_create(
    email: Email,
    role: Role,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Đọc mật khẩu từ stdin")] = False,
    agency: Agency = None,
    name: Annotated[str | None, typer.Option(help="Tên hiển thị / display name")] = None,
    data_dir: DataDir = None,
) -> None:
    """Tạo tài khoản cán bộ / create a staff account."""
    from congdan.accounts.service import create_staff

    if not password_stdin:
        typer.echo("Cần --password-stdin / --password-stdin is required", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\r\n")

    async def work(session: AsyncSession) -> str:
        account = await create_staff(
            session, email=email, password=password, role=role, agency_code=agency, display_name=name
        )
        return str(account.id)

    account_id = in_transaction(settings_for(data_dir), work, upgrade_first=True)
    typer.echo(f"Đã tạo tài khoản / created account {account_id} ({role})")


@user_app.command("set-role")
def user_set_role(email: Email, role: Role, agency: Agency = None, data_dir: DataDir = None) -> None:
    """Đổi vai trò cán bộ (ghi nhật ký) / change a staff role (audited)."""
    from congdan.accounts.service import change_role
    from congdan.authz.policy import MACHINE

    async def work(session: AsyncSession) -> None:
        await change_role(session, MACHINE, email=email, role=role, agency_code=agency)

    in_transaction(settings_for(data_dir), work)
    typer.echo(f"Đã đổi vai trò / role changed: {role}")


@user_app.command("unlock")
def user_unlock(email: Email, data_dir: DataDir = None) -> None:
    """Mở khóa đăng nhập của cán bộ (ghi nhật ký) / let a locked-out staff member sign in (audited)."""
    from congdan.auth.service import unlock
    from congdan.authz.policy import MACHINE

    async def work(session: AsyncSession) -> None:
        await unlock(session, MACHINE, email)

    in_transaction(settings_for(data_dir), work)
    typer.echo(f"Đã mở khóa đăng nhập / sign-in unlocked: {email.strip().lower()}")


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="Tên ứng dụng dùng khóa / client name")],
    data_dir: DataDir = None,
) -> None:
    """Tạo khóa API (chỉ hiện một lần) / create an API key (shown once)."""
    from congdan.auth.service import create_api_key

    async def work(session: AsyncSession) -> str:
        _key, raw = await create_api_key(session, name)
        return raw

    raw = in_transaction(settings_for(data_dir), work, upgrade_first=True)
    typer.echo(raw)
    typer.echo(
        "Lưu khóa này ngay: nó không được hiển thị lại / store this key now: it is not shown again.", err=True
    )
