"""create_app(): the FastAPI application with every surface mounted."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from congdan import __version__, replica, wiring
from congdan.agencies.api import router as agencies_router
from congdan.announcements.api import router as announcements_router
from congdan.areas.api import router as areas_router
from congdan.areas.service import AreaIndex, load_index
from congdan.auth.api import me_router, proof_router
from congdan.auth.api import router as auth_router
from congdan.catalogue.api import router as catalogue_router
from congdan.categories.api import router as categories_router
from congdan.config import Settings
from congdan.db import make_engine, make_read_sessionmaker, make_sessionmaker, utcnow
from congdan.integrations.storage import Storage
from congdan.kit.asgi import BodySizeLimit, HeadAsGet
from congdan.kit.errors import (
    AppError,
    BadRequest,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)
from congdan.kit.i18n import _, negotiate
from congdan.kit.problems import problem_response
from congdan.kit.validation import from_pydantic
from congdan.live.api import router as live_router
from congdan.media.web import router as media_router
from congdan.monitoring.api import install as install_monitoring
from congdan.notifications.api import router as notifications_router
from congdan.open311.api import router as open311_router
from congdan.outbox import service as outbox
from congdan.outbox.relay import Relay, supervise
from congdan.performance.api import router as performance_router
from congdan.privacy.api import router as privacy_router
from congdan.reports.api import router as reports_router
from congdan.routing.api import router as routing_router
from congdan.routing.service import ClassifierHolder
from congdan.security.install import install as install_security
from congdan.web import refusal, resident_session
from congdan.web.announcements import router as news_pages_router
from congdan.web.catalogue import router as catalogue_pages_router
from congdan.web.docs import mount_static
from congdan.web.docs import router as docs_router
from congdan.web.error_page import error_page, wants_page
from congdan.web.home import router as home_router
from congdan.web.mine import router as mine_router
from congdan.web.mine_settings import router as mine_settings_router
from congdan.web.publicmap import router as map_pages_router
from congdan.web.pwa import router as pwa_router
from congdan.web.report import router as report_pages_router
from congdan.web.reporter_proof import router as reporter_proof_router
from congdan.web.result import router as result_router
from congdan.web.signin import router as sign_in_router
from congdan.web.staff import router as staff_router
from congdan.web.tracking import router as tracking_router
from congdan.workbench.api import router as workbench_router

log = structlog.get_logger("app")


def create_app(
    settings: Settings | None = None, *, run_worker: bool | None = None, storage: Storage | None = None
) -> FastAPI:
    """`storage` replaces the media folder of the settings (another store, in tests or deployments)."""
    settings = settings or Settings()
    worker_enabled = settings.run_worker_in_process if run_worker is None else run_worker

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        maker = make_sessionmaker(engine)
        settings.ensure_dirs()
        app.state.settings = settings
        app.state.clock = utcnow  # what staff sessions and second-factor codes are timed by
        app.state.engine = engine
        app.state.sessionmaker = maker
        app.state.read_sessionmaker = make_read_sessionmaker(engine)
        app.state.replica = replica.open_replica(settings, engine)
        shared = wiring.build(settings, storage=storage)
        app.state.shared = shared
        app.state.storage = shared.storage
        app.state.area_index = AreaIndex([])
        app.state.area_index_loaded_at = float("-inf")
        app.state.classifier = ClassifierHolder()
        try:
            async with maker() as session:
                app.state.area_index = await load_index(session)
                await app.state.classifier.refresh(session)
            app.state.area_index_loaded_at = time.monotonic()
        except (OSError, DBAPIError, PoolTimeout, TimeoutError) as exc:
            # Start anyway: requests answer 503 until the database is back, then the index loads.
            log.warning("startup.database_unavailable", error=str(exc)[:300])
        app.state.live = shared.live
        stop = asyncio.Event()
        worker_task = None
        app.state.relay = None
        if worker_enabled:
            relay = shared.relay(maker, settings)
            app.state.relay = relay
            worker_task = asyncio.create_task(supervise(relay, stop))
        app.state.worker_started_at = time.monotonic()
        if settings.freeze_startup_objects:
            gc.collect()  # so that only what is alive is frozen, not garbage waiting for a pass
            gc.freeze()
        try:
            yield
        finally:
            stop.set()
            if worker_task is not None:
                await worker_task
            await shared.close()
            if app.state.replica is not None:
                await app.state.replica.close()
            await engine.dispose()

    app = FastAPI(
        title="Công dân số API",
        version=__version__,
        description=(
            "Kênh hai chiều giữa chính quyền thành phố và người dân: phản ánh, góp ý, theo dõi xử lý.\n\n"
            "A two-way channel between the city and its residents. Errors are RFC 9457 problem+json; "
            "messages follow Accept-Language (vi, en)."
        ),
        lifespan=lifespan,
        docs_url=None,  # served by congdan.web.docs from local assets
        redoc_url=None,
    )
    # A photo upload is refused as soon as it passes the photo limit, not after it is all spooled.
    upload_limit = settings.max_photo_bytes + 64 * 1024  # the multipart envelope around the file
    # The report form without JavaScript sends its photos with it.
    form_limit = settings.max_photos * settings.max_photo_bytes + 256 * 1024
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        max_json_bytes=settings.max_json_body_bytes,
        per_path={"/api/v1/uploads": upload_limit, "/gui-phan-anh": form_limit, "/gop-y": form_limit},
    )
    install_security(app, settings)
    resident_session.install(app)
    refusal.install(app)
    # Outermost, so that every layer and route sees the GET it stands for.
    app.add_middleware(HeadAsGet)
    install_monitoring(app)
    replica.install(app, settings)
    mount_static(app)
    _install_error_handlers(app)
    for router in (
        routing_router,
        reports_router,
        auth_router,
        me_router,
        proof_router,
        areas_router,
        agencies_router,
        categories_router,
        catalogue_router,
        home_router,
        open311_router,
        privacy_router,
        docs_router,
        notifications_router,
        announcements_router,
        news_pages_router,
        catalogue_pages_router,
        tracking_router,
        report_pages_router,
        result_router,
        map_pages_router,
        pwa_router,
        sign_in_router,
        mine_router,
        mine_settings_router,
        reporter_proof_router,
        live_router,
        media_router,
        staff_router,
        performance_router,
        workbench_router,
    ):
        app.include_router(router)

    @app.get("/healthz", tags=["ops"], summary="Tiến trình đang chạy / Process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["ops"],
        summary="Cơ sở dữ liệu và worker sẵn sàng / Database reachable, worker working",
        description="`worker`: when the in-process worker last finished a round, how many outbox rows "
        "are due and how long the oldest has waited. 503 when the database is unreachable or the "
        "in-process worker has not finished a round for `CONGDAN_WORKER_STALL_SECONDS`.",
        responses={503: {"description": "Không sẵn sàng / Not ready"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        state = request.app.state
        try:
            async with state.read_sessionmaker() as session:
                backlog = await asyncio.wait_for(outbox.backlog(session, utcnow()), timeout=3)
        except (OSError, DBAPIError, OperationalError, PoolTimeout, TimeoutError):
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        worker: dict[str, object] = {
            "due": backlog.due,
            "oldest_due_seconds": _rounded(backlog.oldest_due_seconds),
        }
        ready = True
        relay: Relay | None = state.relay
        if relay is None:
            worker["mode"] = "separate"
        else:
            worker["mode"] = "in_process"
            now = time.monotonic()
            last = relay.last_round_at
            since = now - (last if last is not None else state.worker_started_at)
            worker["last_round_at"] = relay.last_round_wall.isoformat() if relay.last_round_wall else None
            worker["seconds_since_last_round"] = _rounded(since)
            if since > state.settings.worker_stall_seconds:
                worker["stalled"] = True
                ready = False
        body = {"status": "ok" if ready else "unavailable", "database": "ok", "worker": worker}
        return JSONResponse(body, status_code=200 if ready else 503)

    return app


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def _locale(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


def _install_error_handlers(app: FastAPI) -> None:
    def refused(request: Request, error: AppError) -> Response:
        if wants_page(request):
            return error_page(request, error)
        return problem_response(error, _locale(request), request.url.path)

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> Response:
        return refused(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return refused(request, from_pydantic(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        error: AppError
        if exc.status_code == 404:
            error = NotFound()
        elif exc.status_code == 413:
            limit = request.scope.get("starlette.max_body_size", request.app.state.settings.max_body_bytes)
            error = PayloadTooLarge.over(limit)
        elif exc.status_code == 405:
            error = _MethodNotAllowed(headers={"Allow": _allowed_methods(request)})
        else:
            # Starlette's own text (a form it cannot parse) is English: Vietnamese says it in its words.
            error = BadRequest(_("Không đọc được nội dung gửi lên."), reason=str(exc.detail))
        return refused(request, error)

    async def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("database.unavailable", error=str(exc)[:300], path=request.url.path)
        error = ServiceUnavailable(
            _("Cơ sở dữ liệu tạm thời không truy cập được; hãy thử lại sau ít giây."),
            headers={"Retry-After": "5"},
        )
        return refused(request, error)

    for exc_type in (OperationalError, PoolTimeout, OSError, TimeoutError):
        app.add_exception_handler(exc_type, unavailable)

    @app.exception_handler(DBAPIError)
    async def dbapi_error(request: Request, exc: DBAPIError) -> Response:
        if exc.connection_invalidated or _database_unreachable(exc):
            return await unavailable(request, exc)
        raise exc


# SQLSTATEs that mean "the database cannot serve you right now", not "your query is wrong":
# connection exceptions (class 08), shutting down / starting up (57P01-57P03), too many clients.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def _database_unreachable(exc: DBAPIError) -> bool:
    state = getattr(exc.orig, "sqlstate", None)
    return isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES)


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (Starlette names only the first route's).

    Catch-all routes left out of the API description (Open311's "unknown endpoint" answer) do not
    count when a described route matches: the path's real methods are the described ones."""
    described: set[str] = set()
    hidden: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        route = context.route
        if isinstance(route, BaseRoute) and route.matches(request.scope)[0] != Match.NONE:
            methods = set(getattr(route, "methods", None) or ())
            if "GET" in methods:
                methods.add("HEAD")  # answered by HeadAsGet
            (described if getattr(route, "include_in_schema", True) else hidden).update(methods)
    return ", ".join(sorted(described or hidden))


class _MethodNotAllowed(AppError):
    status = 405
    slug = "method-not-allowed"
    title = _("Phương thức không được hỗ trợ")
