"""Sending a report: photos uploaded ahead of it, checks of what was sent, routing to an agency."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.accounts import repository as accounts_repo
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.categories import repository as categories_repo
from congdan.consents import service as consents
from congdan.db import hold, utcnow
from congdan.integrations.images import ImageLimits, process_photo
from congdan.kit.codes import tracking_code
from congdan.kit.contact import normalise_email, normalise_phone
from congdan.kit.errors import FieldError, ServiceUnavailable, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.text import clean_line, clean_plain_text, fold
from congdan.models import Category, Media, Report
from congdan.reports import events, lifecycle, repository
from congdan.reports import service as shared
from congdan.reports.context import Context
from congdan.reports.deadlines import add_working_days
from congdan.reports.schemas import ReportCreate
from congdan.reports.states import Status
from congdan.routing import service as routing


@dataclass(frozen=True)
class Uploaded:
    media: Media
    # The photo's own GPS position, for the uploader's answer only: it is not kept.
    exif_location: tuple[float, float] | None


async def upload_photo(session: AsyncSession, ctx: Context, principal: Principal, raw: bytes) -> Uploaded:
    settings = ctx.settings
    limits = ImageLimits(settings.max_photo_pixels, settings.max_photo_side, settings.max_photo_aspect)
    processed = await process_photo(raw, limits, workers=settings.image_workers)
    # A random name the client never chose, fanned out so no folder grows huge.
    name = secrets.token_hex(16)
    key = f"photos/{name[:2]}/{name}.{processed.extension}"
    thumb_key = f"photos/{name[:2]}/{name}-thumb.{processed.extension}"
    await ctx.storage.put(key, processed.data)
    await ctx.storage.put(thumb_key, processed.thumbnail)
    media = Media(
        owner_id=principal.account_id,
        storage_key=key,
        thumb_key=thumb_key,
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
        size_bytes=len(processed.data),
        sha256=processed.sha256,
    )
    session.add(media)
    await session.flush()
    return Uploaded(media, processed.gps)


async def submit(
    session: AsyncSession, ctx: Context, principal: Principal, data: ReportCreate, *, locale: str = "vi"
) -> Report:
    """`locale` is the language the reporter read the form (and the notice) in, kept with the consent."""
    errors: list[FieldError] = []
    description = clean_plain_text(data.description)
    if not description:
        errors.append(FieldError("description", _("Nội dung không được để trống.")))
    address = clean_plain_text(data.address) if data.address else None
    category = None
    if data.category is not None:
        category = await categories_repo.category(session, data.category)
        if category is None or not category.is_active:
            errors.append(
                FieldError("category", _("Lĩnh vực không tồn tại: %(code)s."), {"code": data.category})
            )
    lat = data.location.lat if data.location else None
    lon = data.location.long if data.location else None
    place = routing.where(
        ctx.areas, lat=lat, lon=lon, address=address, description=description, needed=data.kind == "report"
    )
    if place.error is not None:
        errors.append(place.error)
    contact_phone = contact_email = contact_name = None
    if data.contact is not None:
        contact_name = clean_line(data.contact.name) or None if data.contact.name else None
        if data.contact.phone:
            contact_phone = normalise_phone(data.contact.phone)
            if contact_phone is None:
                errors.append(FieldError("contact.phone", _("Số điện thoại không hợp lệ.")))
        if data.contact.email:
            contact_email = normalise_email(data.contact.email)
            if contact_email is None:
                errors.append(FieldError("contact.email", _("Địa chỉ email không hợp lệ.")))
    if len(data.photos) > ctx.settings.max_photos:
        errors.append(FieldError("photos", _("Tối đa %(n)s ảnh."), {"n": ctx.settings.max_photos}))
    if errors:
        raise ValidationFailed(errors=errors)

    photo_ids = await shared.claim_photos(session, principal, data.photos, "photos")
    classification = None
    reason = None
    if category is None:
        classification = routing.classify(ctx.classifier, description)
        if classification is not None:
            reason = classification.triage_reason(ctx.settings.routing_min_confidence)
            # Text unlike any category stays without one rather than taking the nearest.
            if classification.top is not None and reason != routing.UNLIKE_ANY:
                category = await categories_repo.category(session, classification.top.code)
    located = place.located
    hold(session, category)  # named again in the answer
    decision = await routing.decide(session, ctx.areas, category=category, area=located)
    # A guess the classifier is unsure of goes to a person, not to an agency.
    confident = reason is None
    now = utcnow()
    report = Report(
        tracking_code=tracking_code(),
        kind=data.kind,
        category_code=category.code if category else None,
        category_source=_category_source(data, category),
        classifier_version=classification.version if classification else None,
        category_confidence=classification.top.confidence if classification and classification.top else None,
        description=description,
        search_text=fold(f"{description} {address or ''}"),
        status=Status.SUBMITTED.value,
        lat=lat,
        lon=lon,
        address=address,
        area_code=located.area_code if located else None,
        area_approximate=located.approximate if located else True,
        reporter_id=principal.account_id if principal.role == policy.RESIDENT else None,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        is_public=data.visibility == "public",
        hide_identity=data.hide_identity,
        due_at=add_working_days(
            now, category.deadline_days if category else ctx.settings.default_deadline_days
        ),
        created_at=now,
        updated_at=now,
    )
    # Routed before it is written, so that the report is inserted once, with its final status; its
    # two events and their outbox rows follow in the next flush (they refer to the report's row).
    routed = decision.agency_code is not None and confident
    target = Status.ASSIGNED if routed else Status.TRIAGE
    lifecycle.apply(report, target, agency_code=decision.agency_code if routed else None)
    session.add(report)
    await _insert(session)
    actor = principal if principal.role == policy.RESIDENT else policy.PUBLIC
    await shared.record_and_announce(
        session,
        report,
        actor,
        events.SUBMITTED,
        type_="status",
        to_status=Status.SUBMITTED,
        payload={"tracking_code": report.tracking_code},
        flush=False,
    )
    await lifecycle.announce(
        session, report, policy.MACHINE, Status.SUBMITTED, target, note=None, public=routed, flush=False
    )
    await repository.attach_media(session, photo_ids, report.id, None)
    await _record_consent(session, principal, report, locale)
    await session.flush()
    return report


def _category_source(data: ReportCreate, category: Category | None) -> str | None:
    if category is None:
        return None
    return "resident" if data.category is not None else "classifier"


async def _record_consent(session: AsyncSession, principal: Principal, report: Report, locale: str) -> None:
    if principal.role == policy.RESIDENT and principal.account_id is not None:
        account = await accounts_repo.get(session, principal.account_id)
        if account is not None:
            await consents.ensure_consent(session, account, consents.REPORT_HANDLING, source="report")
    elif report.contact_phone or report.contact_email or report.contact_name:
        consents.consent_for_report(session, report, locale)


async def _insert(session: AsyncSession) -> None:
    """Writes the report. Its tracking code is drawn from 2^50 and not looked up first: the unique
    constraint catches the rare code already taken, and the sender is asked to send again (the
    Idempotency-Key is free again once this unit of work is undone, and the next try draws anew)."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if "tracking_code" in str(exc.orig):
            raise ServiceUnavailable(
                _("Chưa lưu được phản ánh; hãy gửi lại."), headers={"Retry-After": "1"}
            ) from exc
        raise
