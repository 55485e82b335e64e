"""The notice, export and erasure (consents are congdan.consents). Services never commit: the request
owns the transaction."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.accounts import repository as accounts_repo
from congdan.audit import service as audit
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.consents import repository as consents_repo
from congdan.consents import service as consents
from congdan.db import utcnow
from congdan.kit.errors import NotFound, ValidationFailed
from congdan.kit.i18n import _, translate
from congdan.outbox.service import emit
from congdan.privacy import repository
from congdan.privacy.schemas import (
    AccountExport,
    DataExport,
    ExportEvent,
    NoticeOut,
    NotificationExport,
    PhotoExport,
    PurposeOut,
)
from congdan.reports import present
from congdan.reports import service as reports_service

# Outbox event: stored files of erased data are to be deleted (payload: their storage keys).
MEDIA_ERASED = "privacy.media_erased"
_NOTICE_DIR = Path(__file__).resolve().parent.parent / "web" / "templates" / "privacy"


@cache
def notice_text(locale: str) -> str:
    return (_NOTICE_DIR / f"notice.{'en' if locale == 'en' else 'vi'}.md").read_text(encoding="utf-8")


def notice(locale: str) -> NoticeOut:
    return NoticeOut(
        version=consents.NOTICE_VERSION,
        language="en" if locale == "en" else "vi",
        purposes=[
            PurposeOut(code=code, description=translate(text, locale))
            for code, text in consents.PURPOSES.items()
        ],
        text=notice_text(locale),
    )


# ---- export --------------------------------------------------------------------------------------


async def export(session: AsyncSession, principal: Principal, locale: str) -> DataExport:
    policy.require_authenticated(principal)
    assert principal.account_id is not None
    account = await accounts_repo.get(session, principal.account_id)
    if account is None:
        raise NotFound()
    reports = await repository.reports_of(session, account.id)
    report_ids = [r.id for r in reports]
    events = await repository.public_or_own_events(session, report_ids, account.id)
    event_reports = {e.id: e.report_id for e in events}
    photos = await repository.photos_of(session, account.id, report_ids)
    result = DataExport(
        exported_at=utcnow(),
        notice_version=consents.NOTICE_VERSION,
        account=AccountExport(
            id=account.id,
            role=account.role,
            email=account.email,
            phone=account.phone,
            display_name=account.display_name,
            agency=account.agency_code,
            locale=account.locale,
            created_at=account.created_at,
        ),
        consents=[consents.consent_out(c) for c in await consents_repo.consents_of(session, account.id)],
        reports=await reports_service.reports_out(session, principal, reports, locale),
        events=[
            ExportEvent(**e.model_dump(), report_id=event_reports[e.id])
            for e in await present.events_out(session, events, locale)
        ],
        notifications=[
            NotificationExport(
                id=n.id,
                report_id=n.report_id,
                title=n.title,
                body=n.body,
                created_at=n.created_at,
                read_at=n.read_at,
            )
            for n in await repository.notifications_of(session, account.id)
        ],
        photos=[
            PhotoExport(
                id=m.id,
                report_id=m.report_id,
                url=f"/media/{m.storage_key}",
                thumbnail_url=f"/media/{m.thumb_key}",
                content_type=m.content_type,
                created_at=m.created_at,
            )
            for m in photos
        ],
    )
    await audit.record(
        session,
        principal,
        "personal_data.exported",
        subject_type="account",
        subject_id=account.id,
        details={"reports": len(reports), "photos": len(photos)},
    )
    return result


# ---- erasure -------------------------------------------------------------------------------------


async def delete_account(session: AsyncSession, principal: Principal, *, confirm: bool) -> int:
    """Deletes the caller's account. Their reports stay as public records, cut loose from them:
    no reporter, no contact details, identity hidden. Tokens, consents and the inbox go with the
    account (foreign keys cascade). Returns how many reports were anonymised."""
    policy.require_self_erasure(principal)
    if not confirm:
        raise ValidationFailed(_("Cần xác nhận xóa tài khoản (confirm=true)."), field="confirm")
    assert principal.account_id is not None
    account = await repository.account_for_update(session, principal.account_id)
    if account is None:
        raise NotFound()
    now = utcnow()
    await repository.overwrite_deleted_content(session, on=True)
    anonymised = await repository.anonymise_reports(session, account.id, now)
    names = [v for v in (account.phone, account.email, str(account.id)) if v]
    # Photos uploaded but never sent belong to nobody else: they go, files after commit.
    orphans = await repository.unattached_media_of(session, account.id)
    if orphans:
        keys = [k for m in orphans for k in (m.storage_key, m.thumb_key)]
        await repository.delete_all(session, orphans)
        emit(
            session,
            MEDIA_ERASED,
            aggregate_type="account",
            aggregate_id=str(account.id),
            payload={"keys": keys},
        )
    await repository.erase_traces(session, account.id, names)
    await audit.record(
        session,
        principal,
        "account.deleted",
        subject_type="account",
        subject_id=account.id,
        details={"reports_anonymised": anonymised},
    )
    await repository.delete_all(session, [account])
    await repository.overwrite_deleted_content(session, on=False)
    return anonymised


async def after_erasure(session: AsyncSession) -> None:
    """Once the erasure is committed: no old copy of the deleted rows stays in SQLite's log."""
    await repository.empty_write_ahead_log(session)
