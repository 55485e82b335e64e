"""Open311 GeoReport v2 at /open311/v2/: every endpoint in JSON and XML by extension.

Errors follow the spec, not the rest of the API: a list of {code, description} (an <errors>
document in XML) with 404 for what does not exist, 403 for a missing or bad api_key and 400 for
everything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from congdan.auth import service as auth
from congdan.deps import ContextDep, IdempotencyDep, SessionDep, SettingsDep
from congdan.idempotency.service import request_hash
from congdan.kit.errors import AppError, BadRequest, Forbidden, NotFound, PayloadTooLarge
from congdan.kit.i18n import _, bilingual, negotiate, translate
from congdan.open311 import service
from congdan.open311.formats import FORMATS, Format, render
from congdan.open311.schemas import RequestIn, RequestsQuery
from congdan.replica import from_replica

PREFIX = "/open311/v2"


def _format_of(path: str) -> Format:
    return "xml" if path.endswith(".xml") else "json"


def error_body(exc: AppError, locale: str) -> tuple[int, list[dict[str, object]]]:
    # The spec knows three answers: 404, 403 and 400 for anything else that is the client's fault.
    status = exc.status if exc.status in (403, 404) else 400
    messages = [translate(e.message, locale, **(e.params or {})) for e in exc.errors]
    if not messages:
        messages = [translate(exc.detail, locale, **exc.params)]
    return status, [{"code": status, "description": m} for m in dict.fromkeys(messages)]


def error_response(request: Request, exc: AppError) -> Response:
    status, body = error_body(exc, _locale(request))
    return render(_format_of(request.url.path), "errors", body, status)


class Open311Route(APIRoute):
    """Answers errors in Open311's shape instead of the API's problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def open311_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except AppError as exc:
                return error_response(request, exc)
            except RequestValidationError as exc:
                fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
                return error_response(
                    request, BadRequest(_("Tham số không hợp lệ: %(fields)s."), fields=fields)
                )

        return open311_handler


_BOTH: dict[str, dict[str, Any]] = {"application/json": {}, "text/xml": {}}
_ERROR_TEXT = {
    400: _("Tham số sai"),
    403: _("Thiếu hoặc sai api_key"),
    404: _("Không tồn tại (dịch vụ, yêu cầu, jurisdiction_id, định dạng)"),
}


def _responses(ok: int, *errors: int) -> dict[int | str, dict[str, Any]]:
    """Documents exactly the answers Open311 gives; "4XX" also keeps FastAPI from listing a 422."""
    out: dict[int | str, dict[str, Any]] = {ok: {"content": _BOTH}}
    for code in errors:
        out[code] = {"description": bilingual(_ERROR_TEXT[code]), "content": _BOTH}
    out["4XX"] = {"description": bilingual(_("Danh sách lỗi {code, description}")), "content": _BOTH}
    return out


router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=Open311Route)


def _locale(request: Request) -> str:
    asked = request.query_params.get("locale")
    return negotiate(asked.replace("_", "-") if asked else request.headers.get("accept-language"))


def get_format(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise NotFound(_("Chỉ có định dạng .json và .xml."))
    return "xml" if fmt == "xml" else "json"


def check_jurisdiction(
    settings: SettingsDep,
    jurisdiction_id: Annotated[
        str | None, Query(description="Mã địa phương / jurisdiction (không bắt buộc)", max_length=200)
    ] = None,
) -> None:
    service.check_jurisdiction(settings, jurisdiction_id)


FormatDep = Annotated[Format, Depends(get_format)]
Jurisdiction = Depends(check_jurisdiction)
LocaleQuery = Annotated[
    str | None, Query(description="vi (mặc định) hoặc en; hoặc tiêu đề Accept-Language", max_length=16)
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get(
    "/discovery.{fmt}", summary="Khám phá dịch vụ / Service discovery", responses=_responses(200, 404)
)
async def discovery(request: Request, fmt: FormatDep, locale: LocaleQuery = None) -> Response:
    return render(fmt, "discovery", service.discovery(_base(request), _locale(request)))


@router.get(
    "/services.{fmt}",
    summary="Danh sách dịch vụ / GET Service List",
    dependencies=[Jurisdiction],
    responses=_responses(200, 404),
)
@from_replica()
async def services(
    request: Request, fmt: FormatDep, session: SessionDep, locale: LocaleQuery = None
) -> Response:
    return render(fmt, "services", await service.services(session, _locale(request)))


@router.get(
    "/services/{service_code}.{fmt}",
    summary="Định nghĩa dịch vụ / GET Service Definition",
    dependencies=[Jurisdiction],
    responses=_responses(200, 404),
)
@from_replica()
async def service_definition(
    request: Request, service_code: str, fmt: FormatDep, session: SessionDep, locale: LocaleQuery = None
) -> Response:
    return render(
        fmt, "service_definition", await service.definition(session, service_code, _locale(request))
    )


@router.get(
    "/requests.{fmt}",
    summary="Danh sách yêu cầu / GET Service Requests",
    dependencies=[Jurisdiction],
    responses=_responses(200, 400, 404),
)
@from_replica()
async def list_requests(
    request: Request,
    fmt: FormatDep,
    session: SessionDep,
    service_request_id: Annotated[
        str | None, Query(description="Danh sách id, phân cách bằng dấu phẩy")
    ] = None,
    service_code: Annotated[str | None, Query(description="Mã dịch vụ, phân cách bằng dấu phẩy")] = None,
    start_date: Annotated[str | None, Query(description="W3C, ví dụ 2026-01-01T00:00:00Z")] = None,
    end_date: Annotated[str | None, Query(description="W3C; cách start_date tối đa 90 ngày")] = None,
    status: Annotated[str | None, Query(description="open, closed hoặc open,closed")] = None,
    extensions: Annotated[str | None, Query(description="true: thêm extended_attributes và notes")] = None,
    page: Annotated[str | None, Query(description="Mở rộng: trang, từ 1")] = None,
    page_size: Annotated[str | None, Query(description="Mở rộng: số dòng mỗi trang, tối đa 1000")] = None,
    updated_after: Annotated[str | None, Query(description="Mở rộng: cập nhật sau thời điểm W3C")] = None,
    updated_before: Annotated[str | None, Query(description="Mở rộng: cập nhật trước thời điểm W3C")] = None,
    locale: LocaleQuery = None,
) -> Response:
    q = RequestsQuery(
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
        extensions=extensions,
        page=page,
        page_size=page_size,
        updated_after=updated_after,
        updated_before=updated_before,
    )
    body = await service.find(session, q, _locale(request), _base(request))
    return render(fmt, "service_requests", body)


@router.get(
    "/requests/{service_request_id}.{fmt}",
    summary="Một yêu cầu / GET Service Request",
    dependencies=[Jurisdiction],
    responses=_responses(200, 404),
)
@from_replica()
async def get_request(
    request: Request,
    service_request_id: str,
    fmt: FormatDep,
    session: SessionDep,
    extensions: Annotated[str | None, Query(description="true: thêm extended_attributes và notes")] = None,
    locale: LocaleQuery = None,
) -> Response:
    body = await service.one(
        session, service_request_id, RequestsQuery(extensions=extensions), _locale(request), _base(request)
    )
    return render(fmt, "service_requests", body)


@router.get(
    "/tokens/{token}.{fmt}",
    summary="Tra id từ token / GET service_request_id from a token",
    dependencies=[Jurisdiction],
    responses=_responses(200, 404),
)
async def get_token(
    request: Request, token: str, fmt: FormatDep, session: SessionDep, locale: LocaleQuery = None
) -> Response:
    return render(fmt, "service_requests", await service.resolve_token(session, token))


_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
_FIELDS = (
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
)
_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["api_key", "service_code"],
    "properties": {
        "api_key": {"type": "string"},
        "jurisdiction_id": {"type": "string"},
        **{name: {"type": "string"} for name in _FIELDS},
        "media": {"type": "string", "format": "binary", "description": "Mở rộng: ảnh đính kèm"},
    },
    "additionalProperties": {"type": "string", "description": "attribute[code] hoặc attribute[code][]"},
}


async def _read_form(request: Request, max_photo_bytes: int) -> tuple[dict[str, str], RequestIn]:
    try:
        form = await request.form()
    except (StarletteHTTPException, AssertionError, ValueError, KeyError) as exc:
        raise BadRequest(_("Không đọc được dữ liệu biểu mẫu.")) from exc
    plain: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    media: bytes | None = None
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if name == "media":
                media = await value.read(max_photo_bytes + 1)
                if len(media) > max_photo_bytes:
                    raise PayloadTooLarge(_("Ảnh vượt quá %(mb)s MB."), mb=max_photo_bytes // (1024 * 1024))
            continue
        match = _ATTRIBUTE.match(name)
        if match:
            attributes.setdefault(match.group(1), []).append(value)
        else:
            plain.setdefault(name, value)
    # The spec sends everything in the body; some clients put api_key and jurisdiction in the URL.
    for name in ("api_key", "jurisdiction_id"):
        if name not in plain and name in request.query_params:
            plain[name] = request.query_params[name]
    fields = {name: plain.get(name) for name in _FIELDS}
    return plain, RequestIn(**fields, attributes=attributes, media=media or None)


@router.post(
    "/requests.{fmt}",
    summary="Gửi yêu cầu / POST Service Request",
    status_code=201,
    responses=_responses(201, 400, 403, 404),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA},
                "multipart/form-data": {"schema": _FORM_SCHEMA},
            },
        },
    },
)
async def post_request(
    request: Request,
    fmt: FormatDep,
    idempotent: IdempotencyDep,
    session: SessionDep,
    ctx: ContextDep,
    locale: LocaleQuery = None,
) -> Response:
    plain, data = await _read_form(request, ctx.settings.max_photo_bytes)
    locale = _locale(request)
    raw_key = plain.get("api_key", "").strip()
    api_key = None
    if raw_key:
        # Read apart from the unit of work, which (and on SQLite its write lock) starts only with the
        # write itself: the Idempotency-Key claim below runs in a transaction of its own first.
        async with request.app.state.read_sessionmaker() as lookup:
            api_key = await auth.check_api_key(lookup, raw_key)
    if api_key is None:
        raise Forbidden(_("Thiếu api_key hoặc api_key không hợp lệ."))
    api_key_id = api_key.id
    service.check_jurisdiction(ctx.settings, plain.get("jurisdiction_id"))
    fingerprint = {k: v for k, v in plain.items() if k != "api_key"} | {
        "attributes": dict(sorted(data.attributes.items())),
        "media": request_hash(data.media.hex()) if data.media else None,
    }
    replay = await idempotent.claim(f"open311:{api_key_id}", fingerprint)
    if replay is not None:
        response = render(fmt, "service_requests", [replay.body], replay.status)
        response.headers.update(replay.headers)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    created = await service.create(session, ctx, api_key_id, data, locale)
    body: dict[str, object] = {
        "service_request_id": str(created.report.id),
        "service_notice": created.service_notice,
        "account_id": created.account_id,
    }
    headers = {"Location": f"{PREFIX}/requests/{created.report.id}.{fmt}"}
    await idempotent.remember(session, 201, body, headers)
    response = render(fmt, "service_requests", [body], 201)
    response.headers.update(headers)
    return response


@router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
async def unknown(rest: str) -> Response:
    raise NotFound(_("Không có điểm cuối Open311 này."))
