"""The `congdan` command."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from congdan.config import Settings

app = typer.Typer(
    help="Công dân số — máy chủ và công cụ quản trị / server and admin tools.", no_args_is_help=True
)
db_app = typer.Typer(help="Cơ sở dữ liệu / database", no_args_is_help=True)
seed_app = typer.Typer(help="Dữ liệu mẫu / demo data", no_args_is_help=True)
user_app = typer.Typer(help="Tài khoản / accounts", no_args_is_help=True)
apikey_app = typer.Typer(help="Khóa API / API keys", no_args_is_help=True)
areas_app = typer.Typer(help="Đơn vị hành chính / administrative units", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
app.add_typer(areas_app, name="areas")
classifier_app = typer.Typer(help="Bộ phân loại lĩnh vực / category classifier", no_args_is_help=True)
app.add_typer(classifier_app, name="classifier")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Thư mục dữ liệu (mặc định ./var) / data directory")
]


def _settings(data_dir: Path | None) -> Settings:
    if data_dir is not None:
        os.environ["CONGDAN_DATA_DIR"] = str(data_dir)
    return Settings()


def _fail(exc: Exception) -> NoReturn:
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


def _load_handlers() -> None:
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


def _configure_logging(settings: Settings) -> None:
    import logging

    import structlog

    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))


@app.command()
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
    _load_handlers()
    import uvicorn

    from congdan.app import create_app
    from congdan.config import base_url_for
    from congdan.migrate import upgrade

    settings = _settings(data_dir)
    _configure_logging(settings)
    asyncio.run(upgrade(settings))
    if demo:
        _print_demo(settings)
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


def _print_demo(settings: Settings) -> None:
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


@app.command()
def worker(data_dir: DataDir = None) -> None:
    """Chạy worker xử lý outbox / run an outbox worker."""
    settings = _settings(data_dir)
    _configure_logging(settings)
    _load_handlers()
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


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None) -> None:
    """Áp dụng migration và dữ liệu tham chiếu / apply migrations and reference data."""
    from congdan.migrate import upgrade

    settings = _settings(data_dir)
    added = asyncio.run(upgrade(settings))
    typer.echo(f"Đã cập nhật cơ sở dữ liệu / database upgraded: {added}")


@seed_app.command("demo")
def seed_demo(data_dir: DataDir = None) -> None:
    """Nạp dữ liệu mẫu / seed demo data."""
    from congdan.migrate import upgrade

    settings = _settings(data_dir)
    asyncio.run(upgrade(settings))
    _print_demo(settings)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Email")],
    role: Annotated[str, typer.Option(help="coordinator | agency_manager | agency_officer | admin")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Đọc mật khẩu từ stdin")] = False,
    agency: Annotated[str | None, typer.Option(help="Mã cơ quan / agency code")] = None,
    name: Annotated[str | None, typer.Option(help="Tên hiển thị / display name")] = None,
    data_dir: DataDir = None,
) -> None:
    """Tạo tài khoản cán bộ / create a staff account."""
    from congdan.accounts.service import create_staff
    from congdan.db import standalone_transaction
    from congdan.kit.errors import AppError
    from congdan.migrate import upgrade

    if not password_stdin:
        typer.echo("Cần --password-stdin / --password-stdin is required", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\r\n")
    settings = _settings(data_dir)

    async def run() -> str:
        await upgrade(settings)  # an admin's first command on a new data dir just works
        async with standalone_transaction(settings) as session:
            account = await create_staff(
                session, email=email, password=password, role=role, agency_code=agency, display_name=name
            )
            return str(account.id)

    try:
        account_id = asyncio.run(run())
    except AppError as exc:
        _fail(exc)
    typer.echo(f"Đã tạo tài khoản / created account {account_id} ({role})")


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="Tên ứng dụng dùng khóa / client name")],
    data_dir: DataDir = None,
) -> None:
    """Tạo khóa API (chỉ hiện một lần) / create an API key (shown once)."""
    from congdan.auth.service import create_api_key
    from congdan.db import standalone_transaction
    from congdan.kit.errors import AppError
    from congdan.migrate import upgrade

    settings = _settings(data_dir)

    async def run() -> str:
        await upgrade(settings)
        async with standalone_transaction(settings) as session:
            _key, raw = await create_api_key(session, name)
            return raw

    try:
        raw = asyncio.run(run())
    except AppError as exc:
        _fail(exc)
    typer.echo(raw)
    typer.echo(
        "Lưu khóa này ngay: nó không được hiển thị lại / store this key now: it is not shown again.", err=True
    )


@areas_app.command("import")
def areas_import(
    file: Annotated[Path, typer.Argument(help="Tệp GeoJSON (FeatureCollection) / GeoJSON file", exists=True)],
    code_property: Annotated[
        str,
        typer.Option("--code-property", help="Thuộc tính chứa mã đơn vị / property holding the unit code"),
    ],
    data_dir: DataDir = None,
) -> None:
    """Nạp ranh giới đơn vị hành chính / import unit boundaries; routing uses them from then on."""
    import json

    from congdan.areas.service import import_boundaries
    from congdan.db import standalone_transaction

    try:
        geojson = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        typer.echo(f"Lỗi / error: không đọc được GeoJSON / cannot read GeoJSON: {exc}", err=True)
        raise typer.Exit(1) from exc
    settings = _settings(data_dir)

    async def run() -> tuple[list[str], list[str], int]:
        async with standalone_transaction(settings) as session:
            result = await import_boundaries(session, geojson, code_property)
            return result.updated, result.unknown_codes, result.skipped

    try:
        updated, unknown, skipped = asyncio.run(run())
    except ValueError as exc:
        typer.echo(f"Lỗi / error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Đã nạp ranh giới cho {len(updated)} đơn vị / boundaries imported for {len(updated)} units")
    if unknown:
        typer.echo(f"Mã không có trong danh mục / unknown codes: {', '.join(unknown)}", err=True)
    if skipped:
        typer.echo(f"Bỏ qua {skipped} đối tượng không hợp lệ / skipped {skipped} invalid features", err=True)


@classifier_app.command("train")
def classifier_train(data_dir: DataDir = None) -> None:
    """Huấn luyện phiên bản mới từ kho mẫu và các chỉnh sửa của cán bộ / train a new version from the
    corpus plus staff corrections; running servers switch to it within a minute."""
    from congdan.db import standalone_transaction
    from congdan.routing.service import train_and_store

    settings = _settings(data_dir)

    async def run() -> tuple[int, int, int, float, float]:
        async with standalone_transaction(settings) as session:
            trained = await train_and_store(session)
            m = trained.model
            return m.version, m.n_examples, m.n_corrections, m.heldout_top1, m.heldout_top3

    try:
        version, n, corrections, top1, top3 = asyncio.run(run())
    except Exception as exc:  # the CLI reports, it does not dump a traceback
        _fail(exc)
    typer.echo(
        f"Phiên bản / version {version}: {n} mẫu / examples ({corrections} chỉnh sửa / corrections); "
        f"tập kiểm tra / held-out top-1 {top1:.1%}, top-3 {top3:.1%}"
    )


@classifier_app.command("evaluate")
def classifier_evaluate(
    file: Annotated[
        Path, typer.Argument(help="Tệp TSV có dòng tiêu đề 'category<TAB>text' / TSV file", exists=True)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON / print JSON")] = False,
    data_dir: DataDir = None,
) -> None:
    """Đo độ chính xác của phiên bản đang dùng trên một tệp / accuracy of the version in use on a file."""
    import json

    from congdan.db import make_engine, make_sessionmaker
    from congdan.routing.classifier import Classifier, CorpusError, evaluate, read_tsv
    from congdan.routing.service import ClassifierHolder

    try:
        rows = read_tsv(file)
    except (OSError, UnicodeDecodeError, CorpusError) as exc:
        _fail(exc)
    settings = _settings(data_dir)

    async def load() -> Classifier | None:
        engine = make_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session:
                return await ClassifierHolder().refresh(session)
        finally:
            await engine.dispose()

    try:
        classifier = asyncio.run(load())
    except Exception as exc:
        _fail(exc)
    if classifier is None:
        _fail(RuntimeError("chưa có bộ phân loại; chạy `congdan db upgrade` / no classifier yet"))
    result = evaluate(classifier, rows)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    typer.echo(f"Phiên bản / version: {classifier.version}")
    typer.echo(f"Số dòng / rows: {result.n}")
    typer.echo(f"Top-1: {result.top1:.1%}")
    typer.echo(f"Top-3: {result.top3:.1%}")
    typer.echo("Độ phủ theo lĩnh vực / per-category recall:")
    for code, recall in result.per_category.items():
        typer.echo(f"  {code:<26} {recall:.1%}")


# ---- personal data: keys and the audit log (issue 6) ------------------------------------------

keys_app = typer.Typer(help="Khóa mã hóa dữ liệu cá nhân / data encryption keys", no_args_is_help=True)
audit_app = typer.Typer(help="Nhật ký kiểm toán / audit log", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")


@user_app.command("set-role")
def user_set_role(
    email: Annotated[str, typer.Option(help="Email")],
    role: Annotated[str, typer.Option(help="coordinator | agency_manager | agency_officer | admin")],
    agency: Annotated[str | None, typer.Option(help="Mã cơ quan / agency code")] = None,
    data_dir: DataDir = None,
) -> None:
    """Đổi vai trò cán bộ (ghi nhật ký) / change a staff role (audited)."""
    from congdan.accounts.service import change_role
    from congdan.authz.policy import MACHINE
    from congdan.db import standalone_transaction
    from congdan.kit.errors import AppError

    settings = _settings(data_dir)

    async def run() -> None:
        async with standalone_transaction(settings) as session:
            await change_role(session, MACHINE, email=email, role=role, agency_code=agency)

    try:
        asyncio.run(run())
    except AppError as exc:
        _fail(exc)
    typer.echo(f"Đã đổi vai trò / role changed: {role}")


@user_app.command("unlock")
def user_unlock(email: Annotated[str, typer.Option(help="Email")], data_dir: DataDir = None) -> None:
    """Mở khóa đăng nhập của cán bộ (ghi nhật ký) / let a locked-out staff member sign in (audited)."""
    from congdan.auth.service import unlock
    from congdan.authz.policy import MACHINE
    from congdan.db import standalone_transaction
    from congdan.kit.errors import AppError

    settings = _settings(data_dir)

    async def run() -> None:
        async with standalone_transaction(settings) as session:
            await unlock(session, MACHINE, email)

    try:
        asyncio.run(run())
    except AppError as exc:
        _fail(exc)
    typer.echo(f"Đã mở khóa đăng nhập / sign-in unlocked: {email.strip().lower()}")


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
    from congdan.db import standalone_transaction
    from congdan.privacy.keys import rotate

    settings = _settings(data_dir)

    async def run() -> dict[str, int]:
        async with standalone_transaction(settings) as session:
            return await rotate(session, settings.keyring)

    counts = asyncio.run(run())
    typer.echo(f"Khóa chính / primary key: {settings.keyring.primary}")
    for name, n in counts.items():
        typer.echo(f"  {name}: {n}")
    typer.echo(f"Đã mã hóa lại / re-encrypted: {sum(counts.values())}")


@audit_app.command("verify")
def audit_verify(data_dir: DataDir = None) -> None:
    """Kiểm tra chuỗi băm của nhật ký / walk the audit log's hash chain."""
    from congdan.audit.service import verify_chain
    from congdan.db import standalone_transaction

    settings = _settings(data_dir)

    async def run() -> tuple[int, str, str | None]:
        async with standalone_transaction(settings) as session:
            result = await verify_chain(session)
            return result.checked, result.head, result.problem

    checked, head, problem = asyncio.run(run())
    if problem is not None:
        typer.echo(f"Chuỗi nhật ký bị phá vỡ / audit chain broken: {problem}", err=True)
        typer.echo(f"Các dòng trước đó nguyên vẹn / rows before it intact: {checked}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Nhật ký nguyên vẹn / audit chain intact: {checked} dòng / rows")
    # Kept somewhere else (a ticket, a printout), the head proves later that nothing before it changed.
    typer.echo(f"Băm cuối / head hash: {head}")


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
