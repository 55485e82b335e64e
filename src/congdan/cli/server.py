"""`serve` and `worker`: the long-running processes."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

from congdan.cli.common import DataDir, configure_logging, load_handlers, settings_for
from congdan.config import Settings


def serve(
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe / bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng / port")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Nạp dữ liệu mẫu (một lần) / seed demo data once")
    ] = False,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Không chạy worker trong tiến trình / no in-process worker")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Chạy máy chủ (tự áp dụng migration) / run the server (applies migrations)."""
    load_handlers()
    import uvicorn

    from congdan.app import create_app
    from congdan.config import base_url_for
    from congdan.migrate import upgrade

    settings = settings_for(data_dir)
    configure_logging(settings)
    asyncio.run(upgrade(settings))
    if demo:
        print_demo(settings)
    if settings.public_base_url is None:
        # Links in messages point where this server listens, unless the operator named an address.
        settings.public_base_url = base_url_for(host, port)
    application = create_app(settings, run_worker=not no_worker)
    # Forwarded headers are read by the app, from CONGDAN_TRUSTED_PROXIES only (security/install.py):
    # uvicorn's own reading trusts 127.0.0.1, and any local client could forge its address.
    config = uvicorn.Config(application, host=host, port=port, log_level="warning", proxy_headers=False)
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    where = settings.resolved_database_url.split("///")[-1] if settings.is_sqlite else "PostgreSQL"

    async def announce() -> None:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
            await asyncio.sleep(0.05)
        # Only once the socket is bound, so the line is true.
        typer.echo(f"Công dân số đang chạy tại / listening on http://{shown}:{port}/")
        typer.echo(f"Dữ liệu / data: {where}")

    async def run_and_announce() -> None:
        announcer = asyncio.create_task(announce())
        try:
            await server.serve()
        finally:
            announcer.cancel()

    # uvicorn exits with 3 when it cannot bind; say why in our words below.
    with contextlib.suppress(SystemExit):
        asyncio.run(run_and_announce())
    if not server.started:
        typer.echo(f"Lỗi / error: không mở được cổng / could not listen on {shown}:{port}", err=True)
        raise typer.Exit(1)


def print_demo(settings: Settings) -> None:
    from congdan.demo import RESIDENT_PHONE, seed_demo

    created, accounts = asyncio.run(seed_demo(settings))
    typer.echo(
        "Đã nạp dữ liệu mẫu / demo data seeded." if created else "Dữ liệu mẫu đã có / demo data present."
    )
    typer.echo("Tài khoản mẫu / demo accounts:")
    for account in accounts:
        agency = f" ({account.agency})" if account.agency else ""
        typer.echo(f"  {account.role:<15} {account.email:<36} {account.password}{agency}")
    typer.echo(f"  {'resident':<15} {RESIDENT_PHONE:<36} mã một lần ghi trong log / one-time code in the log")


def worker(data_dir: DataDir = None) -> None:
    """Chạy worker xử lý outbox / run an outbox worker."""
    settings = settings_for(data_dir)
    configure_logging(settings)
    load_handlers()
    import signal

    import structlog

    from congdan import wiring
    from congdan.db import make_engine, make_sessionmaker

    async def run() -> bool:
        """True when the loop ended because it was asked to."""
        engine = make_engine(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # The same shared pieces as `serve`: live updates reach servers through Redis when set.
        shared = wiring.build(settings)
        try:
            relay = shared.relay(make_sessionmaker(engine), settings)
            await relay.run_forever(stop)
        finally:
            await shared.close()
            await engine.dispose()
        return stop.is_set()

    try:
        asked = asyncio.run(run())
    except Exception as exc:
        structlog.get_logger("outbox").exception("outbox.worker_crashed")
        typer.echo(f"Lỗi / error: worker dừng bất thường / the worker stopped: {exc}", err=True)
        raise typer.Exit(1) from exc
    if not asked:
        # A supervisor (systemd, Kubernetes …) restarts a process that exits non-zero.
        typer.echo("Lỗi / error: worker dừng bất thường / the worker loop ended unexpectedly", err=True)
        raise typer.Exit(1)
