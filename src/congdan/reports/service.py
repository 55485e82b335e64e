"""The rules of a report's life. Services never commit: the request or the job owns the transaction."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.areas.service import AreaIndex, Located
from congdan.audit import service as audit
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.config import Settings
from congdan.db import utcnow
from congdan.integrations.images import ImageLimits, process_photo
from congdan.integrations.storage import Storage
from congdan.kit.codes import tracking_code
from congdan.kit.contact import normalise_email, normalise_phone
from congdan.kit.errors import Conflict, FieldError, InvalidTransition, NotFound, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.text import clean_line, clean_plain_text, fold
from congdan.models import Account, Category, ClassifierExample, Media, Report, ReportEvent, ReportFollower
from congdan.outbox.service import emit
from congdan.privacy import service as privacy
from congdan.reports import repository
from congdan.reports.deadlines import add_working_days
from congdan.reports.schemas import CategoryChangeIn, NoteIn, RatingIn, ReplyIn, ReportCreate, TransitionIn
from congdan.reports.states import FINAL, NOTE_REQUIRED, OPEN, Status, allowed, label
from congdan.routing import repository as routing_repo
from congdan.routing import service as routing
from congdan.routing.classifier import Classifier


@dataclass(frozen=True)
class Context:
    """What a report operation needs besides the session."""

    settings: Settings
    areas: AreaIndex
    storage: Storage
    classifier: Classifier | None = None


# ---- photos ---------------------------------------------------------------------------------


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


async def _claim_photos(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID], field: str
) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(ids))
    if not unique:
        return []
    found = {m.id: m for m in await repository.unattached_media(session, unique)}
    for media_id in unique:
        media = found.get(media_id)
        if media is None or (media.owner_id is not None and media.owner_id != principal.account_id):
            raise ValidationFailed(
                _("Ảnh %(id)s không tồn tại hoặc đã được dùng."), field=field, id=str(media_id)
            )
    return unique


# ---- submission ------------------------------------------------------------------------------


async def submit(session: AsyncSession, ctx: Context, principal: Principal, data: ReportCreate) -> Report:
    errors: list[FieldError] = []
    description = clean_plain_text(data.description)
    if not description:
        errors.append(FieldError("description", _("Nội dung không được để trống.")))
    address = clean_plain_text(data.address) if data.address else None
    category = None
    if data.category is not None:
        category = await repository.category(session, data.category)
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

    photo_ids = await _claim_photos(session, principal, data.photos, "photos")
    classification = None
    if category is None:
        classification = routing.classify(ctx.classifier, description)
        if classification is not None and classification.top is not None:
            category = await repository.category(session, classification.top.code)
    located = place.located
    decision = await routing.decide(session, ctx.areas, category=category, area=located)
    # A guess the classifier is unsure of goes to a person, not to an agency.
    confident = classification is None or classification.confident(ctx.settings.routing_min_confidence)
    now = utcnow()
    report = Report(
        tracking_code=await _fresh_tracking_code(session),
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
    session.add(report)
    await session.flush()
    await repository.attach_media(session, photo_ids, report.id, None)
    await _record_consent(session, principal, report)
    actor = principal if principal.role == policy.RESIDENT else policy.PUBLIC
    _record(session, report, actor, type_="status", from_status=None, to_status=Status.SUBMITTED)
    emit(
        session,
        "report.submitted",
        aggregate_type="report",
        aggregate_id=str(report.id),
        payload={"report_id": str(report.id), "tracking_code": report.tracking_code},
    )
    if decision.agency_code is not None and confident:
        await _move(
            session,
            report,
            policy.MACHINE,
            Status.ASSIGNED,
            note=None,
            public=True,
            agency_code=decision.agency_code,
        )
    else:
        await _move(session, report, policy.MACHINE, Status.TRIAGE, note=None, public=False)
    return report


def _category_source(data: ReportCreate, category: Category | None) -> str | None:
    if category is None:
        return None
    return "resident" if data.category is not None else "classifier"


async def _record_consent(session: AsyncSession, principal: Principal, report: Report) -> None:
    if principal.role == policy.RESIDENT and principal.account_id is not None:
        account = await session.get(Account, principal.account_id)
        if account is not None:
            await privacy.ensure_consent(session, account, privacy.REPORT_HANDLING, source="report")
    elif report.contact_phone or report.contact_email or report.contact_name:
        privacy.consent_for_report(session, report, "vi")


async def _fresh_tracking_code(session: AsyncSession) -> str:
    for _attempt in range(5):
        code = tracking_code()
        if not await repository.tracking_code_taken(session, code):
            return code
    raise RuntimeError("could not draw an unused tracking code")  # 2^50 codes: never in practice


# ---- reading -----------------------------------------------------------------------------------


async def get_for(session: AsyncSession, principal: Principal, report_id: uuid.UUID) -> Report:
    report = await repository.get(session, report_id)
    if report is None:
        raise NotFound(_("Không tìm thấy phản ánh."))
    policy.require_viewable(principal, report)
    return report


async def get_by_code(session: AsyncSession, code: str) -> Report:
    """Whoever holds the tracking code may follow the report; it is how anonymous reporters do."""
    report = await repository.by_tracking_code(session, code)
    if report is None:
        raise NotFound(_("Không tìm thấy phản ánh với mã này."))
    return report


# ---- the status machine ------------------------------------------------------------------------


async def transition(
    session: AsyncSession, ctx: Context, principal: Principal, report_id: uuid.UUID, data: TransitionIn
) -> Report:
    policy.require_identified(principal)
    report = await _load_for_change(session, principal, report_id)
    target = data.to
    current = Status(report.status)
    if not allowed(current, target):
        raise InvalidTransition(
            _("Không thể chuyển phản ánh từ trạng thái «%(current)s» sang «%(target)s»."),
            current=label(current),
            target=label(target),
        )
    policy.require_transition(principal, report, target, label(target))
    note = clean_plain_text(data.note) if data.note else None
    if target in NOTE_REQUIRED and not note:
        raise ValidationFailed(_("Cần ghi rõ lý do hoặc nội dung cho bước này."), field="note")
    if target == Status.REOPENED:
        resolved_at = report.resolved_at or report.updated_at
        if utcnow() - resolved_at > timedelta(days=ctx.settings.reopen_days):
            raise InvalidTransition(
                _("Đã quá %(days)s ngày kể từ khi giải quyết; không thể mở lại."),
                days=ctx.settings.reopen_days,
            )
    agency_code = None
    if target == Status.ASSIGNED:
        agency_code = data.agency or (report.agency_code if current == Status.REOPENED else None)
        agency = await agencies_repo.get_agency(session, agency_code) if agency_code else None
        if agency is None or not agency.is_active:
            raise ValidationFailed(_("Cần chọn cơ quan xử lý có thật."), field="agency")
        if current == Status.ASSIGNED and agency_code == report.agency_code:
            raise InvalidTransition(_("Phản ánh đã được giao cho cơ quan này."))
    duplicate_of = None
    if target == Status.DUPLICATE:
        duplicate_of = await _original_for(session, principal, report, data.duplicate_of)
    photo_ids = await _claim_photos(session, principal, data.photos, "photos")
    event = await _move(
        session,
        report,
        principal,
        target,
        note=note,
        public=data.public,
        agency_code=agency_code,
        duplicate_of=duplicate_of.id if duplicate_of is not None else None,
    )
    await repository.attach_media(session, photo_ids, report.id, event.id)
    if duplicate_of is not None:
        await _follow_original(session, report, duplicate_of)
    await _audit_staff(session, principal, "report.transition", report, event, to=target.value)
    if target == Status.REOPENED:
        category = await repository.category(session, report.category_code) if report.category_code else None
        days = category.deadline_days if category else ctx.settings.default_deadline_days
        report.due_at = add_working_days(utcnow(), days)
    return report


async def _original_for(
    session: AsyncSession, principal: Principal, report: Report, original_id: uuid.UUID | None
) -> Report:
    if original_id is None:
        raise ValidationFailed(_("Cần chỉ ra phản ánh gốc."), field="duplicate_of")
    if original_id == report.id:
        raise ValidationFailed(_("Phản ánh không thể trùng với chính nó."), field="duplicate_of")
    original = await repository.get(session, original_id)
    if original is None or not policy.can_view_report(principal, original):
        raise ValidationFailed(_("Không tìm thấy phản ánh gốc."), field="duplicate_of")
    # Follow the chain so that everyone ends up following the one report that is being handled.
    seen = {report.id}
    while original.duplicate_of_id is not None and original.id not in seen:
        seen.add(original.id)
        nxt = await repository.get(session, original.duplicate_of_id)
        if nxt is None:
            break
        original = nxt
    if original.id == report.id:
        raise ValidationFailed(_("Phản ánh không thể trùng với chính nó."), field="duplicate_of")
    return original


async def _follow_original(session: AsyncSession, duplicate: Report, original: Report) -> None:
    """The duplicate's reporter, and whoever followed the duplicate, now follow the original if
    they may see it (a private original is not theirs to follow: they hear of the merge only).
    A follower is an account, or an anonymous reporter reached through their own report's contact
    details, which stay where they are."""
    have = await repository.followers(session, original.id)
    seen = {(f.account_id, f.via_report_id) for f in have}
    seen.add((original.reporter_id, None))
    joining: list[tuple[uuid.UUID | None, uuid.UUID | None, str]] = []
    if duplicate.reporter_id is not None:
        joining.append((duplicate.reporter_id, None, "duplicate"))
    elif duplicate.contact_phone or duplicate.contact_email:
        joining.append((None, duplicate.id, "duplicate"))
    joining += [
        (f.account_id, f.via_report_id, f.reason) for f in await repository.followers(session, duplicate.id)
    ]
    # Following would send them the original's code and news: only for those who may see it.
    accounts = await repository.accounts_by_id(session, {a for a, _v, _r in joining if a is not None})
    for account_id, via_report_id, reason in joining:
        if (account_id, via_report_id) in seen:
            continue
        account = accounts.get(account_id) if account_id is not None else None
        if account is not None:
            who = policy.account_principal(account)
        else:  # an anonymous reporter, who may prove the duplicate they sent and nothing more
            who = policy.proven_reporter(via_report_id) if via_report_id is not None else policy.PUBLIC
        if not policy.can_view_report(who, original):
            continue
        seen.add((account_id, via_report_id))
        session.add(
            ReportFollower(
                report_id=original.id, account_id=account_id, via_report_id=via_report_id, reason=reason
            )
        )
    await session.flush()


async def _move(
    session: AsyncSession,
    report: Report,
    actor: Principal,
    target: Status,
    *,
    note: str | None,
    public: bool,
    agency_code: str | None = None,
    duplicate_of: uuid.UUID | None = None,
) -> ReportEvent:
    current = Status(report.status)
    if not allowed(current, target):  # the machine obeys the same rules as people
        raise InvalidTransition(current=label(current), target=label(target))
    now = utcnow()
    report.status = target.value
    report.updated_at = now
    if target == Status.ASSIGNED and agency_code is not None:
        report.agency_code = agency_code
    if target == Status.RESOLVED:
        report.resolved_at = now
    if target == Status.REOPENED:
        report.resolved_at = None
    if target in FINAL:
        report.closed_at = now
    if target == Status.DUPLICATE:
        report.duplicate_of_id = duplicate_of
    event = _record(
        session,
        report,
        actor,
        type_="status",
        from_status=current,
        to_status=target,
        note=note,
        public=public,
        agency_code=report.agency_code,
    )
    await session.flush()
    emit(
        session,
        "report.status_changed",
        aggregate_type="report",
        aggregate_id=str(report.id),
        payload={
            "report_id": str(report.id),
            "event_id": str(event.id),
            "from": current.value,
            "to": target.value,
            "public": public,
            "agency": report.agency_code,
            "actor_role": actor.role,
        },
    )
    return event


def _record(
    session: AsyncSession,
    report: Report,
    actor: Principal,
    *,
    type_: str,
    from_status: Status | None,
    to_status: Status | None,
    note: str | None = None,
    public: bool = True,
    agency_code: str | None = None,
) -> ReportEvent:
    event = ReportEvent(
        report_id=report.id,
        type=type_,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        actor_id=actor.account_id,
        actor_role=actor.role,
        agency_code=agency_code if actor.role in policy.AGENCY_ROLES or actor.role == policy.SYSTEM else None,
        note=note,
        is_public=public,
        created_at=utcnow(),
    )
    session.add(event)
    return event


async def _load_for_change(session: AsyncSession, principal: Principal, report_id: uuid.UUID) -> Report:
    report = await repository.get(session, report_id, for_update=True)
    if report is None:
        raise NotFound(_("Không tìm thấy phản ánh."))
    policy.require_viewable(principal, report)
    return report


# ---- replies, notes, ratings -------------------------------------------------------------------


# What each kind of public message from the agency is called in the history and in the outbox.
_REPLY_KINDS = {
    "answer": ("reply", "report.replied"),
    "info_request": ("info_request", "report.info_requested"),
    "progress": ("progress", "report.progress_posted"),
}


async def reply(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, data: ReplyIn
) -> ReportEvent:
    report = await _load_for_change(session, principal, report_id)
    policy.require_internal_access(principal, report)
    if Status(report.status) in FINAL:
        raise InvalidTransition(_("Phản ánh đã kết thúc; không thể trả lời thêm."))
    message = clean_plain_text(data.message)
    if not message:
        raise ValidationFailed(_("Nội dung trả lời không được để trống."), field="message")
    photo_ids = await _claim_photos(session, principal, data.photos, "photos")
    event_type, outbox_event = _REPLY_KINDS[data.kind]
    event = _record(
        session,
        report,
        principal,
        type_=event_type,
        from_status=None,
        to_status=None,
        note=message,
        public=True,
        agency_code=principal.agency_code,
    )
    report.updated_at = utcnow()
    await session.flush()
    await repository.attach_media(session, photo_ids, report.id, event.id)
    payload: dict[str, object] = {"report_id": str(report.id), "event_id": str(event.id)}
    if data.kind != "answer":
        payload["note"] = message  # the resident is told what is asked or what was done
    emit(session, outbox_event, aggregate_type="report", aggregate_id=str(report.id), payload=payload)
    await _audit_staff(session, principal, "report.reply", report, event)
    return event


async def _audit_staff(
    session: AsyncSession,
    principal: Principal,
    action: str,
    report: Report,
    event: ReportEvent,
    **details: str,
) -> None:
    if principal.is_staff:
        await audit.record(
            session,
            principal,
            action,
            subject_type="report",
            subject_id=report.id,
            details={"event_id": str(event.id), **details},
        )


async def add_note(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, data: NoteIn
) -> ReportEvent:
    report = await _load_for_change(session, principal, report_id)
    policy.require_internal_access(principal, report)
    note = clean_plain_text(data.note)
    if not note:
        raise ValidationFailed(_("Ghi chú không được để trống."), field="note")
    event = _record(
        session,
        report,
        principal,
        type_="note",
        from_status=None,
        to_status=None,
        note=note,
        public=False,
        agency_code=principal.agency_code,
    )
    await session.flush()
    emit(
        session,
        "report.note_added",
        aggregate_type="report",
        aggregate_id=str(report.id),
        payload={"report_id": str(report.id), "event_id": str(event.id)},
    )
    await _audit_staff(session, principal, "report.note", report, event)
    return event


async def rate(session: AsyncSession, principal: Principal, report_id: uuid.UUID, data: RatingIn) -> Report:
    report = await _load_for_change(session, principal, report_id)
    policy.require_reporter(principal, report)
    if report.status not in (Status.RESOLVED.value, Status.CLOSED.value):
        raise Conflict(_("Chỉ đánh giá được phản ánh đã giải quyết."))
    if report.rating is not None:
        raise Conflict(_("Phản ánh này đã được đánh giá."))
    report.rating = data.score
    report.rating_comment = clean_plain_text(data.comment) if data.comment else None
    report.rated_at = utcnow()
    _record(
        session,
        report,
        principal,
        type_="rating",
        from_status=None,
        to_status=None,
        note=report.rating_comment,
        public=True,
    )
    await session.flush()
    emit(
        session,
        "report.rated",
        aggregate_type="report",
        aggregate_id=str(report.id),
        payload={"report_id": str(report.id), "score": data.score},
    )
    return report


def is_open(report: Report) -> bool:
    return Status(report.status) in OPEN


# ---- category corrections ----------------------------------------------------------------------


async def change_category(
    session: AsyncSession, ctx: Context, principal: Principal, report_id: uuid.UUID, data: CategoryChangeIn
) -> Report:
    """Staff put a report in the right category. The text becomes a labelled example for the next
    training run, and a report still waiting for an agency is routed by the new category."""
    report = await _load_for_change(session, principal, report_id)
    policy.require_internal_access(principal, report)
    if Status(report.status) in FINAL:
        raise InvalidTransition(_("Phản ánh đã kết thúc; không thể đổi lĩnh vực."))
    category = await repository.category(session, data.category)
    if category is None or not category.is_active:
        raise ValidationFailed(_("Lĩnh vực không tồn tại: %(code)s."), field="category", code=data.category)
    if category.code == report.category_code:
        raise Conflict(_("Phản ánh đã thuộc lĩnh vực này."))
    previous = report.category_code
    note = clean_plain_text(data.note) if data.note else None
    report.category_code = category.code
    report.category_source = "staff"
    report.updated_at = utcnow()
    event = _record(
        session,
        report,
        principal,
        type_="category",
        from_status=None,
        to_status=None,
        note=note,
        public=False,
        agency_code=principal.agency_code,
    )
    await session.flush()
    await _audit_staff(
        session, principal, "report.category", report, event, previous=previous or "", to=category.code
    )
    example = await routing_repo.correction_for(session, report.id)
    if example is None:
        session.add(
            ClassifierExample(
                category_code=category.code,
                text=report.description,
                report_id=report.id,
                previous_code=previous,
                created_by_id=principal.account_id,
            )
        )
    else:  # corrected twice: the latest word is the label
        example.category_code = category.code
        example.created_by_id = principal.account_id
    await session.flush()
    emit(
        session,
        "report.category_changed",
        aggregate_type="report",
        aggregate_id=str(report.id),
        payload={"report_id": str(report.id), "from": previous, "to": category.code},
    )
    if data.reroute and Status(report.status) in (Status.SUBMITTED, Status.TRIAGE):
        located = Located(report.area_code, report.area_approximate) if report.area_code else None
        decision = await routing.decide(session, ctx.areas, category=category, area=located)
        if decision.agency_code is not None:
            await _move(
                session,
                report,
                principal,
                Status.ASSIGNED,
                note=None,
                public=True,
                agency_code=decision.agency_code,
            )
    if Status(report.status) != Status.REOPENED:  # a reopened report keeps the deadline it got then
        report.due_at = add_working_days(report.created_at, category.deadline_days)
    return report
