from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response

from congdan.accounts import repository as accounts_repo
from congdan.accounts.service import normalise_destination
from congdan.auth import factors, proof, service, staff, staff_passwords
from congdan.auth.lockout import Guard
from congdan.auth.schemas import (
    CodeRequest,
    CodeSent,
    CodeVerify,
    EnrolmentOut,
    MeOut,
    PasswordCheck,
    PasswordLogin,
    ProofAccepted,
    ProofRequest,
    ProofTokenOut,
    ProofVerify,
    TokenOut,
)
from congdan.authz.policy import require_authenticated
from congdan.deps import LocaleDep, NowDep, PrincipalDep, SessionDep, SettingsDep
from congdan.kit.codes import normalise_tracking_code
from congdan.kit.errors import NotFound
from congdan.kit.i18n import _, translate
from congdan.kit.problems import problems
from congdan.security.ratelimit import client_address, hit_target, limit, limiter

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _token_out(issued: service.IssuedToken, recovery_codes: list[str] | None = None) -> TokenOut:
    return TokenOut(
        access_token=issued.token,
        expires_in=issued.expires_in,
        account_id=issued.account.id,
        role=issued.account.role,
        recovery_codes=recovery_codes,
    )


def guard_for(request: Request) -> Guard:
    return Guard(limiter(request), client_address(request.scope))


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
    description="Email, mật khẩu và mã xác thực hai lớp (`totp`) hoặc một mã khôi phục "
    "(`recovery_code`). Tài khoản chưa đăng ký: gọi `/login/enrol` trước; mã đầu tiên xác nhận "
    "đăng ký và câu trả lời mang mười mã khôi phục (một lần). / Email, password and the TOTP code "
    "or a recovery code; an account not yet enrolled calls `/login/enrol` first, and the answer to "
    "its first code carries its ten recovery codes, once.",
    responses=problems(401, 403, 429),
    dependencies=[Depends(limit("login"))],
)
async def login(
    data: PasswordLogin, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> TokenOut:
    guard = guard_for(request)
    codes = None
    if data.recovery_code:
        account = await staff.recover(
            session, settings, guard, data.email, data.password, data.recovery_code, now
        )
        via = "recovery_code"
    else:
        account = await staff.check_password(session, guard, data.email, data.password)
        if not data.totp:
            if await staff.is_enrolled(session, account):
                raise staff.SecondFactorRequired(_("Hãy gửi kèm mã 6 số của ứng dụng xác thực (totp)."))
            raise staff.SecondFactorRequired(
                _("Tài khoản chưa đăng ký xác thực hai lớp: gọi /api/v1/auth/login/enrol trước.")
            )
        codes = (await staff.check_code(session, settings, guard, account, data.totp, now)).recovery_codes
        via = "totp"
    if account.must_change_password:
        raise staff_passwords.PasswordChangeRequired(staff_passwords.CHOOSE_ON_WORKBENCH)
    issued = await service.issue_token(session, account, timedelta(hours=settings.staff_token_ttl_hours))
    await staff.record_sign_in(session, account, via=via, surface="api")
    return _token_out(issued, codes)


@router.post(
    "/login/enrol",
    response_model=EnrolmentOut,
    summary="Cán bộ đăng ký xác thực hai lớp / Staff enrol a second factor",
    description="Một khóa TOTP mới (RFC 6238, SHA-1, 6 số, 30 giây) cho tài khoản chưa đăng ký; "
    "đăng nhập bằng mã đầu tiên để xác nhận. / A new TOTP secret for an account not yet enrolled; "
    "signing in with its first code confirms it.",
    responses=problems(401, 409, 429),
    dependencies=[Depends(limit("login"))],
)
async def enrol(data: PasswordCheck, request: Request, session: SessionDep) -> EnrolmentOut:
    account = await staff.check_password(session, guard_for(request), data.email, data.password)
    enrolment = await staff.begin_enrolment(session, account)
    return EnrolmentOut(
        secret=enrolment.secret,
        otpauth_uri=enrolment.uri,
        issuer=factors.ISSUER,
        digits=factors.DIGITS,
        period=factors.STEP_SECONDS,
    )


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
