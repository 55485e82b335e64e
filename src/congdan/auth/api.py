from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from congdan.accounts import repository as accounts_repo
from congdan.accounts.service import normalise_destination
from congdan.auth import proof, service
from congdan.auth.schemas import (
    CodeRequest,
    CodeSent,
    CodeVerify,
    MeOut,
    PasswordLogin,
    ProofAccepted,
    ProofRequest,
    ProofTokenOut,
    ProofVerify,
    TokenOut,
)
from congdan.authz.policy import require_authenticated
from congdan.deps import LocaleDep, PrincipalDep, SessionDep, SettingsDep
from congdan.kit.codes import normalise_tracking_code
from congdan.kit.errors import NotFound
from congdan.kit.i18n import _, translate
from congdan.kit.problems import problems
from congdan.security.ratelimit import hit_target, limit

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _token_out(issued: service.IssuedToken) -> TokenOut:
    return TokenOut(
        access_token=issued.token,
        expires_in=issued.expires_in,
        account_id=issued.account.id,
        role=issued.account.role,
    )


@router.post(
    "/code",
    status_code=202,
    response_model=CodeSent,
    summary="Gửi mã đăng nhập một lần / Send a one-time sign-in code",
    responses=problems(),
    dependencies=[Depends(limit("auth_code"))],
)
async def request_code(
    data: CodeRequest, request: Request, session: SessionDep, settings: SettingsDep, locale: LocaleDep
) -> CodeSent:
    _channel, destination = normalise_destination(phone=data.phone, email=data.email)
    await hit_target(request, "auth_code", destination)
    challenge = await service.request_code(
        session, settings, phone=data.phone, email=data.email, locale=locale
    )
    return CodeSent(channel=challenge.channel, expires_in=settings.otp_ttl_minutes * 60)


@router.post(
    "/code/verify",
    response_model=TokenOut,
    summary="Đăng nhập bằng mã một lần / Sign in with the code",
    responses=problems(401),
    dependencies=[Depends(limit("auth_verify"))],
)
async def verify_code(
    data: CodeVerify, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenOut:
    _channel, destination = normalise_destination(phone=data.phone, email=data.email)
    await hit_target(request, "auth_verify", destination)
    # A wrong code raises WrongCode, whose counted attempt the unit of work keeps.
    issued = await service.verify_code(session, settings, phone=data.phone, email=data.email, code=data.code)
    return _token_out(issued)


@router.post(
    "/login",
    response_model=TokenOut,
    summary="Cán bộ đăng nhập / Staff sign-in",
    responses=problems(401),
    dependencies=[Depends(limit("login"))],
)
async def login(
    data: PasswordLogin, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenOut:
    await hit_target(request, "login", await service.sign_in_count_key(session, data.email))
    issued = await service.login_staff(session, settings, data.email, data.password)
    return _token_out(issued)


@router.post(
    "/logout",
    status_code=204,
    summary="Đăng xuất (thu hồi token) / Revoke the current token",
    responses=problems(401),
)
async def logout(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    require_authenticated(principal)
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    await service.revoke_token(session, token)
    return Response(status_code=204)


me_router = APIRouter(prefix="/api/v1", tags=["auth"])


@me_router.get(
    "/me", response_model=MeOut, summary="Tài khoản hiện tại / Current account", responses=problems(401)
)
async def me(session: SessionDep, principal: PrincipalDep) -> MeOut:
    require_authenticated(principal)
    assert principal.account_id is not None
    account = await accounts_repo.get(session, principal.account_id)
    if account is None:
        raise NotFound()
    return MeOut(
        id=account.id,
        role=account.role,
        email=account.email,
        phone=account.phone,
        display_name=account.display_name,
        agency=account.agency_code,
        locale=account.locale,
    )


proof_router = APIRouter(prefix="/api/v1/reports/by-code", tags=["auth"])


def _tracking_code(raw: str) -> str:
    normalised = normalise_tracking_code(raw)
    if normalised is None:
        raise NotFound(_("Không tìm thấy phản ánh với mã này."))
    return normalised


@proof_router.post(
    "/{code}/proof",
    status_code=202,
    response_model=ProofAccepted,
    summary="Gửi mã xác thực người gửi phản ánh / Send a code proving you sent the report",
    responses=problems(404),
    dependencies=[Depends(limit("auth_code"))],
)
async def request_proof(
    code: str,
    data: ProofRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    locale: LocaleDep,
) -> ProofAccepted:
    tracking = _tracking_code(code)
    _channel, destination = proof.normalise_contact(data.contact)
    await hit_target(request, "auth_code", destination)
    await proof.request_proof(session, settings, tracking, data.contact, locale)
    return ProofAccepted(
        detail=translate(
            _("Nếu liên hệ này là liên hệ bạn đã để lại, mã xác thực sẽ được gửi tới đó trong ít phút."),
            locale,
        )
    )


@proof_router.post(
    "/{code}/proof/verify",
    response_model=ProofTokenOut,
    summary="Xác thực người gửi phản ánh / Prove you sent the report",
    responses=problems(401, 404),
    dependencies=[Depends(limit("auth_verify"))],
)
async def verify_proof(
    code: str, data: ProofVerify, request: Request, session: SessionDep, settings: SettingsDep
) -> ProofTokenOut:
    tracking = _tracking_code(code)
    _channel, destination = proof.normalise_contact(data.contact)
    await hit_target(request, "auth_verify", destination)
    issued = await proof.verify_proof(session, settings, tracking, data.contact, data.code)
    return ProofTokenOut(access_token=issued.token, expires_in=issued.expires_in, report_id=issued.report_id)
