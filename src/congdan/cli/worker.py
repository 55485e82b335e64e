"""`worker`: the outbox worker on its own, without the web server, with its own small listener
for Prometheus and health checks when given a port."""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING, Annotated

import typer

from congdan.cli.common import DataDir, configure_logging, load_handlers, settings_for

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from congdan.config import Settings
    from congdan.monitoring.listener import Listener
    from congdan.outbox.relay import Relay


class _Running:
    """The worker's parts, for the listener's thread to read while the loop runs."""

    def __init__(self) -> None:
        self.started_at = time.monotonic()
        self.relay: Relay | None = None
        self.engine: AsyncEngine | None = None

    def seconds_since_round(self) -> float:
        last = self.relay.last_round_at if self.relay is not None else None
        return time.monotonic() - (last if last is not None else self.started_at)

    def pool(self) -> tuple[int, int] | None:
        from sqlalchemy.pool import QueuePool

        pool = self.engine.pool if self.engine is not None else None
        if not isinstance(pool, QueuePool):
            return None  # a pool that keeps no count
        return pool.checkedout(), pool.size()


def _listen(settings: Settings, port: int, running: _Running) -> Listener:
    from congdan.monitoring.listener import CannotListen, Probe, start

    host = settings.worker_metrics_host
    shown = f"[{host}]" if ":" in host else host
    probe = Probe(running.seconds_since_round, settings.worker_stall_seconds, running.pool)
    try:
        listener = start(host, port, settings.metrics_token, probe)
    except CannotListen as exc:
        typer.echo(
            f"Lỗi / error: không mở được cổng số liệu / could not listen on {shown}:{port} ({exc})", err=True
        )
        raise typer.Exit(1) from exc
    typer.echo(f"Số liệu của worker / worker metrics: http://{shown}:{port}/metrics")
    return listener


def worker(
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=1,
            max=65535,
            help="Cổng cho /metrics, /healthz, /readyz (mặc định CONGDAN_WORKER_METRICS_PORT, không có "
            "thì không mở) / port for /metrics, /healthz, /readyz",
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Chạy worker xử lý outbox / run an outbox worker."""
    # This process's figures are its own, on its own listener: counted into files a `serve` reads
    # as well (a shared PROMETHEUS_MULTIPROC_DIR), they would be counted twice.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    settings = settings_for(data_dir)
    configure_logging(settings)
    load_handlers()
    import signal

    import structlog

    from congdan import wiring
    from congdan.db import make_engine, make_sessionmaker

    running = _Running()
    port = metrics_port if metrics_port is not None else settings.worker_metrics_port
    listener = _listen(settings, port, running) if port is not None else None

    async def run() -> bool:
        """True when the loop ended because it was asked to."""
        engine = running.engine = make_engine(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # The same shared pieces as `serve`: live updates reach servers through Redis when set.
        shared = wiring.build(settings)
        try:
            relay = running.relay = shared.relay(make_sessionmaker(engine), settings)
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
    finally:
        if listener is not None:
            listener.close()
    if not asked:
        # A supervisor (systemd, Kubernetes …) restarts a process that exits non-zero.
        typer.echo("Lỗi / error: worker dừng bất thường / the worker loop ended unexpectedly", err=True)
        raise typer.Exit(1)
