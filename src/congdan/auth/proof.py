"""Anonymous reporters prove they sent a report by a one-time code sent to the contact they left.

The proof is the sign-in mechanism scoped to one report: the code is hashed, attempts are counted,
and the token it earns is stored hashed and works as that report's reporter only (authz's
PROVEN_REPORTER). Asking for a code answers the same whether the contact matches or not, so it
cannot be used to find out a report's contact; only a match creates a code and sends it.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.auth.service import REPORT_TOKEN_PREFIX, issue_code, use_code
from congdan.config import Settings
from congdan.db import utcnow
from congdan.kit.codes import new_secret, sha256_hex
from congdan.kit.contact import normalise_email, normalise_phone
from congdan.kit.errors import ValidationFailed
from congdan.kit.i18n import _
from congdan.models import Report, ReportToken
from congdan.reports import service as reports

PURPOSE = "report_proof"


def normalise_contact(raw: str) -> tuple[str, str]:
    """("sms", +84…) or ("email", address) for what the resident typed."""
    text = raw.strip()
    if "@" in text:
        email = normalise_email(text)
        if email is not None:
            return "email", email
    else:
        phone = normalise_phone(text)
        if phone is not None:
            return "sms", phone
    raise ValidationFailed(
        _("Hãy nhập số điện thoại hoặc email bạn đã để lại khi gửi phản ánh."), field="contact"
    )


def _matches(report: Report, channel: str, destination: str) -> bool:
    if report.reporter_id is not None:
        return False  # the account's owner signs in instead
    left = report.contact_phone if channel == "sms" else report.contact_email
    return left is not None and hmac.compare_digest(left.encode(), destination.encode())


async def request_proof(
    session: AsyncSession, settings: Settings, code: str, contact: str, locale: str
) -> None:
    report = await reports.get_by_code(session, code)
    channel, destination = normalise_contact(contact)
    if not _matches(report, channel, destination):
        return
    await issue_code(
        session,
        settings,
        channel=channel,
        destination=destination,
        locale=locale,
        report_id=report.id,
        payload={"purpose": PURPOSE, "tracking_code": report.tracking_code},
    )


@dataclass(frozen=True)
class IssuedProof:
    token: str
    report_id: uuid.UUID
    expires_in: int


async def verify_proof(
    session: AsyncSession, settings: Settings, code: str, contact: str, one_time: str
) -> IssuedProof:
    report = await reports.get_by_code(session, code)
    _channel, destination = normalise_contact(contact)
    await use_code(session, settings, destination=destination, code=one_time, report_id=report.id)
    raw = new_secret(REPORT_TOKEN_PREFIX)
    ttl = timedelta(hours=settings.report_proof_ttl_hours)
    session.add(ReportToken(report_id=report.id, token_hash=sha256_hex(raw), expires_at=utcnow() + ttl))
    await session.flush()
    return IssuedProof(raw, report.id, int(ttl.total_seconds()))
