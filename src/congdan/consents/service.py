"""Consent to the personal-data notice: recorded where the agreeing happens (signing in, sending a
report), listed and withdrawn by the person. Services never commit: the request owns the transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.audit import service as audit
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.consents import repository
from congdan.consents.schemas import ConsentOut
from congdan.db import utcnow
from congdan.kit.errors import Conflict, NotFound
from congdan.kit.i18n import _
from congdan.models import Account, Consent, Report

# Bump when the notice text changes in substance: residents are then asked again.
NOTICE_VERSION = "2026-11-30"
ACCOUNT = "account"
REPORT_HANDLING = "report_handling"
PURPOSES = {
    ACCOUNT: _("Tài khoản và đăng nhập: số điện thoại hoặc email, mã đăng nhập một lần."),
    REPORT_HANDLING: _(
        "Tiếp nhận và giải quyết phản ánh, góp ý: nội dung, vị trí, ảnh và thông tin liên hệ bạn để lại."
    ),
}


async def ensure_consent(
    session: AsyncSession, account: Account, purpose: str, *, source: str
) -> Consent | None:
    """Records that the person agreed to the current notice for this purpose, unless they already
    have. Called where the agreeing happens: signing in, sending a first report."""
    if await repository.active_consent(session, account.id, purpose, NOTICE_VERSION) is not None:
        return None
    consent = Consent(
        account_id=account.id,
        purpose=purpose,
        notice_version=NOTICE_VERSION,
        source=source,
        locale=account.locale,
        granted_at=utcnow(),
    )
    session.add(consent)
    return consent


def consent_for_report(session: AsyncSession, report: Report, locale: str) -> Consent:
    """An anonymous reporter who leaves contact details consents for that one report."""
    consent = Consent(
        report_id=report.id,
        purpose=REPORT_HANDLING,
        notice_version=NOTICE_VERSION,
        source="report",
        locale=locale,
        granted_at=utcnow(),
    )
    session.add(consent)
    return consent


def consent_out(c: Consent) -> ConsentOut:
    return ConsentOut(
        id=c.id,
        purpose=c.purpose,
        notice_version=c.notice_version,
        source=c.source,
        granted_at=c.granted_at,
        withdrawn_at=c.withdrawn_at,
        active=c.withdrawn_at is None,
    )


async def consents(session: AsyncSession, principal: Principal) -> list[ConsentOut]:
    policy.require_authenticated(principal)
    assert principal.account_id is not None
    return [consent_out(c) for c in await repository.consents_of(session, principal.account_id)]


async def withdraw(session: AsyncSession, principal: Principal, consent_id: uuid.UUID) -> Consent:
    policy.require_authenticated(principal)
    found = await repository.consent(session, consent_id)
    if found is None or found.account_id != principal.account_id:
        raise NotFound(_("Không tìm thấy sự đồng ý này."))
    if found.withdrawn_at is not None:
        raise Conflict(_("Sự đồng ý này đã được rút lại."))
    found.withdrawn_at = utcnow()
    await audit.record(
        session,
        principal,
        "consent.withdrawn",
        subject_type="account",
        subject_id=principal.account_id,
        details={"consent_id": str(found.id), "purpose": found.purpose, "version": found.notice_version},
    )
    return found
