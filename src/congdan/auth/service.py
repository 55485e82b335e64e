"""Signing in and the tokens that prove it. Tokens are opaque; only their hashes are stored."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.accounts import repository as accounts_repo
from congdan.accounts import service as accounts
from congdan.audit import service as audit
from congdan.auth import repository
from congdan.auth.events import CODE_REQUESTED
from congdan.authz.policy import MACHINE, RESIDENT, STAFF_ROLES, Principal, proven_reporter
from congdan.config import Settings
from congdan.consents import service as consents
from congdan.db import utcnow
from congdan.kit.codes import keyed_hash, new_secret, numeric_code, sha256_hex
from congdan.kit.errors import NotFound, Unauthorized, ValidationFailed
from congdan.kit.i18n import _
from congdan.models import Account, ApiKey, ApiToken, OtpChallenge
from congdan.outbox.service import emit

TOKEN_PREFIX = "cds"  # noqa: S105 - a visible prefix, not a secret
API_KEY_PREFIX = "cdk"
REPORT_TOKEN_PREFIX = "cdr"  # noqa: S105 - a visible prefix: the token proves one report only

log = structlog.get_logger("auth")


@dataclass(frozen=True)
class IssuedToken:
    token: str
    account: Account
    expires_in: int


async def issue_token(session: AsyncSession, account: Account, ttl: timedelta) -> IssuedToken:
    raw = new_secret(TOKEN_PREFIX)
    session.add(ApiToken(account_id=account.id, token_hash=sha256_hex(raw), expires_at=utcnow() + ttl))
    await session.flush()
    return IssuedToken(raw, account, int(ttl.total_seconds()))


async def principal_for_token(session: AsyncSession, raw: str) -> Principal | None:
    if raw.startswith(f"{REPORT_TOKEN_PREFIX}_"):
        proof = await repository.report_token(session, sha256_hex(raw), utcnow())
        return proven_reporter(proof.report_id) if proof is not None else None
    found = await repository.token_with_account(session, sha256_hex(raw), utcnow())
    if found is None:
        return None
    _token, account = found
    return Principal(account_id=account.id, role=account.role, agency_code=account.agency_code)


async def revoke_token(session: AsyncSession, raw: str) -> None:
    token = await repository.token_by_hash(session, sha256_hex(raw))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()


UNLOCKED = "auth.unlocked"


async def sign_in_count_key(session: AsyncSession, email: str) -> str:
    """What the password sign-in limits of one email are counted under. An administrator's unlock
    (an audit row, so every `serve` instance sees it) starts a new count."""
    email = email.strip().lower()
    account = await accounts_repo.by_email(session, email)
    if account is None:
        return email
    unlocked = await audit.latest_seq(session, UNLOCKED, subject_type="account", subject_id=account.id)
    return email if unlocked is None else f"{email}#{unlocked}"


async def unlock(session: AsyncSession, actor: Principal, email: str) -> Account:
    """Lets a staff member locked out by someone else's guesses sign in again."""
    account = await accounts_repo.by_email(session, email.strip().lower())
    if account is None or account.role not in STAFF_ROLES:
        raise NotFound(_("Không có tài khoản cán bộ với email này."))
    await audit.record(session, actor, UNLOCKED, subject_type="account", subject_id=account.id)
    return account


async def request_code(
    session: AsyncSession, settings: Settings, *, phone: str | None, email: str | None, locale: str
) -> OtpChallenge:
    """Creates a one-time code and queues its delivery; the code itself is only in the outbox payload."""
    channel, destination = accounts.normalise_destination(phone=phone, email=email)
    if await _is_staff_contact(session, channel, destination):
        # Staff sign in with their password and second factor only. The caller gets the same
        # answer as anyone, so the endpoint does not tell which addresses belong to staff; nothing
        # is stored or sent.
        log.info("auth.code_refused_for_staff", channel=channel)
        return OtpChallenge(channel=channel, destination=destination)
    current = await repository.open_challenge(session, destination, utcnow())
    if (
        current is not None
        and current.attempts < settings.otp_max_attempts
        and utcnow() - current.created_at < CODE_KEPT
    ):
        # Someone else asking for this destination must not cancel a code its owner is typing;
        # the owner's own repeat within the minute waits for the message already on its way.
        return current
    return await issue_code(session, settings, channel=channel, destination=destination, locale=locale)


async def issue_code(
    session: AsyncSession,
    settings: Settings,
    *,
    channel: str,
    destination: str,
    locale: str,
    report_id: uuid.UUID | None = None,
    payload: dict[str, str] | None = None,
) -> OtpChallenge:
    """A new one-time code for `destination` (for signing in, or for proving one report): only its
    keyed hash is stored; the code travels in the outbox payload to the channel that sends it."""
    code = numeric_code(6)
    challenge = OtpChallenge(
        channel=channel,
        destination=destination,
        code_hash=keyed_hash(settings.resolved_secret_key, code),
        expires_at=utcnow() + timedelta(minutes=settings.otp_ttl_minutes),
        report_id=report_id,
    )
    session.add(challenge)
    await session.flush()
    message = emit(
        session,
        CODE_REQUESTED,
        aggregate_type="otp",
        aggregate_id=str(challenge.id),
        # The destination stays sealed in the challenge row; the payload only points at it.
        payload={
            "challenge_id": str(challenge.id),
            "channel": channel,
            "code": code,
            "locale": locale,
            **(payload or {}),
        },
    )
    message.priority = 10  # someone is waiting for it: ahead of ordinary messages
    return challenge


async def use_code(
    session: AsyncSession,
    settings: Settings,
    *,
    destination: str,
    code: str,
    report_id: uuid.UUID | None = None,
) -> OtpChallenge:
    """Spends the open code sent to `destination` (for signing in, or proving `report_id`) if
    `code` is it. Every guess counts; a wrong one raises WrongCode, whose counted attempt the
    unit of work keeps."""
    challenge = await repository.open_challenge(session, destination, utcnow(), report_id=report_id)
    if challenge is None or challenge.attempts >= settings.otp_max_attempts:
        raise Unauthorized(_("Mã xác thực không đúng hoặc đã hết hạn. Hãy yêu cầu mã mới."))
    challenge.attempts += 1
    if not hmac.compare_digest(challenge.code_hash, keyed_hash(settings.resolved_secret_key, code.strip())):
        raise WrongCode()
    challenge.consumed_at = utcnow()
    return challenge


async def verify_code(
    session: AsyncSession, settings: Settings, *, phone: str | None, email: str | None, code: str
) -> IssuedToken:
    account = await resident_by_code(session, settings, phone=phone, email=email, code=code)
    return await issue_token(session, account, timedelta(hours=settings.token_ttl_hours))


async def resident_by_code(
    session: AsyncSession, settings: Settings, *, phone: str | None, email: str | None, code: str
) -> Account:
    """The resident account a correct one-time code proves (made on first sign-in)."""
    channel, destination = accounts.normalise_destination(phone=phone, email=email)
    await use_code(session, settings, destination=destination, code=code)
    account = await accounts.resident_for(session, channel=channel, destination=destination)
    if account.role != RESIDENT:
        # A code sent before the address became a staff one: it must not skip the password.
        raise Unauthorized(_("Cán bộ đăng nhập bằng email và mật khẩu."))
    if not account.is_active:
        raise Unauthorized(_("Tài khoản đã bị khóa."))
    await consents.ensure_consent(session, account, consents.ACCOUNT, source="sign_in")
    return account


async def _is_staff_contact(session: AsyncSession, channel: str, destination: str) -> bool:
    found = await (
        accounts_repo.by_phone(session, destination)
        if channel == "sms"
        else accounts_repo.by_email(session, destination)
    )
    return found is not None and found.role != RESIDENT


# How long a fresh code stays the one to type, whatever new requests for its destination arrive.
CODE_KEPT = timedelta(minutes=1)


class WrongCode(Unauthorized):
    """A wrong guess: the counted attempt is kept although the request is refused."""

    keeps_changes = True


async def create_api_key(session: AsyncSession, name: str, actor: Principal = MACHINE) -> tuple[ApiKey, str]:
    if not name.strip():
        raise ValidationFailed(_("Cần tên cho khóa API."), field="name")
    raw = new_secret(API_KEY_PREFIX)
    key = ApiKey(name=name.strip(), prefix=raw[:10], key_hash=sha256_hex(raw))
    session.add(key)
    await session.flush()
    await audit.record(
        session,
        actor,
        "apikey.created",
        subject_type="api_key",
        subject_id=key.id,
        details={"name": key.name},
    )
    return key, raw


async def check_api_key(session: AsyncSession, raw: str) -> ApiKey | None:
    return await repository.api_key_by_hash(session, sha256_hex(raw))
