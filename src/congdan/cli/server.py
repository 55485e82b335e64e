"""`serve`: the web server, in one process or forked into several."""

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
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Số tiến trình phục vụ, trên 1 chỉ với PostgreSQL (mặc định CONGDAN_SERVE_WORKERS) / "
            "server processes, above 1 with PostgreSQL only",
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Chạy máy chủ (tự áp dụng migration) / run the server (applies migrations)."""
    settings = settings_for(data_dir)
    processes = settings.serve_workers if workers is None else workers
    if processes > 1:
        share_metrics_between_processes()
    load_handlers()
    import uvicorn

    from congdan.app import create_app
    from congdan.config import base_url_for
    from congdan.migrate import upgrade

    configure_logging(settings)
    if processes > 1 and settings.is_sqlite:
        # SQLite takes one writer at a time, and its outbox has no NOTIFY to wake the one worker.
        typer.echo(
            "Lỗi / error: nhiều tiến trình phục vụ (--workers > 1) cần PostgreSQL (CONGDAN_DATABASE_URL) / "
            "--workers above 1 needs PostgreSQL (CONGDAN_DATABASE_URL)",
            err=True,
        )
        raise typer.Exit(2)
    asyncio.run(upgrade(settings))
    if demo:
        print_demo(settings)
    if settings.public_base_url is None:
        # Links in messages point where this server listens, unless the operator named an address.
        settings.public_base_url = base_url_for(host, port)
    if processes > 1:
        serve_forked(settings, host, port, processes, run_worker=not no_worker)
        return
    application = create_app(settings, run_worker=not no_worker)
    # Forwarded headers are read by the app, from CONGDAN_TRUSTED_PROXIES only (security/install.py):
    # uvicorn's own reading trusts 127.0.0.1, and any local client could forge its address.
    # The app logs each request itself; uvicorn's lines go through the one configuration (kit/logs.py).
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        log_level="warning",
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    where = str(settings.sqlite_path or "SQLite") if settings.is_sqlite else "PostgreSQL"

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


def share_metrics_between_processes() -> None:
    """/metrics adds up the figures of every child: prometheus-client keeps them in files under
    PROMETHEUS_MULTIPROC_DIR, which must be set before it is first imported (a fresh folder: files
    of an earlier run would be counted again)."""
    import os
    import tempfile

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="congdan-metrics-")


def _metrics_of_ended_process(pid: int) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def serve_forked(settings: Settings, host: str, port: int, processes: int, *, run_worker: bool) -> None:
    import signal

    import uvicorn

    from congdan.app import create_app
    from congdan.cli.prefork import CannotListen, Supervisor, listening_socket

    shown = f"[{host}]" if ":" in host else host
    try:
        sock = listening_socket(host, port)
    except CannotListen as exc:
        typer.echo(f"Lỗi / error: không mở được cổng / could not listen on {shown}:{port} ({exc})", err=True)
        raise typer.Exit(1) from exc

    def child(index: int) -> int:
        # uvicorn hands the stop signal back to the handler it found once it has drained; a handler
        # that does nothing lets the child end with its own exit code.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_args: None)
        # One outbox worker for all the children: NOTIFY wakes it for rows the others commit.
        application = create_app(settings, run_worker=run_worker and index == 0)
        config = uvicorn.Config(
            application, log_level="warning", log_config=None, access_log=False, proxy_headers=False
        )
        server = uvicorn.Server(config)
        asyncio.run(server.serve(sockets=[sock]))
        return 0 if server.started else 1

    if settings.redis_url is None:
        typer.echo(
            "Cảnh báo / warning: không có CONGDAN_REDIS_URL, mỗi tiến trình có giới hạn tần suất và "
            "cập nhật trực tiếp riêng / without CONGDAN_REDIS_URL each process keeps its own rate limits "
            "and live updates",
            err=True,
        )
    # The socket is bound and listening: connections wait in its backlog until a child takes them.
    typer.echo(
        f"Công dân số đang chạy tại / listening on http://{shown}:{port}/ "
        f"({processes} tiến trình / processes)"
    )
    typer.echo("Dữ liệu / data: PostgreSQL")
    code = Supervisor(processes, child, reaped=_metrics_of_ended_process).run()
    sock.close()
    if code:
        typer.echo(
            "Lỗi / error: các tiến trình phục vụ liên tục dừng / the server processes kept dying", err=True
        )
        raise typer.Exit(code)


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
