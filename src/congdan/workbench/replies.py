"""Reply templates with placeholders, and the list of reasons for not accepting a report.

A template names only known placeholders, checked when it is saved; filling one replaces those
names and nothing else (no format strings, so a template cannot reach into the objects behind the
values), and the reply goes to the resident through the reports' conversation service."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.audit import service as audit
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.categories import repository as categories_repo
from congdan.db import utcnow
from congdan.kit.dates import day_and_date
from congdan.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.text import clean_plain_text
from congdan.models import RejectionReason, ReplyTemplate, Report, ReportEvent
from congdan.reports import conversation
from congdan.reports import repository as reports_repo
from congdan.reports import service as reports
from congdan.reports.schemas import ReplyIn
from congdan.workbench import repository
from congdan.workbench.schemas import ReasonIn, ReasonPatch, TemplateIn, TemplatePatch, TemplateReplyIn

PLACEHOLDERS = ("ma_phan_anh", "han_xu_ly", "co_quan")
_TOKEN = re.compile(r"\{([^{}]*)\}")
_SHOWN = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
# Who speaks when a report has no agency yet: the city's hotline, whose coordinators route it.
HOTLINE = "Tổng đài 1022"


def check_body(body: str) -> list[FieldError]:
    """Every {name} must be a known placeholder, and braces serve for nothing else."""
    errors = []
    unknown = sorted({name for name in _TOKEN.findall(body) if name not in PLACEHOLDERS})
    if unknown:
        errors.append(
            FieldError(
                "body",
                _("Chỗ trống không được phép: %(names)s. Chỉ dùng %(allowed)s."),
                {"names": ", ".join("{" + n + "}" for n in unknown), "allowed": _SHOWN},
            )
        )
    elif "{" in _TOKEN.sub("", body) or "}" in _TOKEN.sub("", body):
        errors.append(
            FieldError("body", _("Dấu ngoặc nhọn chỉ dùng cho chỗ trống: %(allowed)s."), {"allowed": _SHOWN})
        )
    return errors


def vietnamese_date(value: datetime | None) -> str:
    """A deadline as residents read it, for a reply written in Vietnamese."""
    return "chưa xác định" if value is None else day_and_date(value, "vi")


def fill(body: str, values: dict[str, str]) -> str:
    """One pass over the known names; a value that itself looks like a placeholder stays as it is."""
    return _TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), body)


async def values_for(session: AsyncSession, report: Report) -> dict[str, str]:
    agency = await agencies_repo.get_agency(session, report.agency_code) if report.agency_code else None
    return {
        "ma_phan_anh": report.tracking_code,
        "han_xu_ly": vietnamese_date(report.due_at),
        "co_quan": agency.name if agency is not None else HOTLINE,
    }


# ---- templates --------------------------------------------------------------------------------


async def list_templates(
    session: AsyncSession, principal: Principal, *, category: str | None, include_inactive: bool
) -> Sequence[ReplyTemplate]:
    policy.require_staff(principal)
    found = await repository.templates(
        session,
        agency_code=principal.agency_code,
        everything=principal.is_citywide_staff,
        category=category,
    )
    return [
        t
        for t in found
        if (t.is_active or include_inactive) and policy.can_use_template(principal, t.agency_code)
    ]


async def templates_to_manage(session: AsyncSession, principal: Principal) -> Sequence[ReplyTemplate]:
    """The templates the caller may change, in use or not: every one for an administrator, their
    own agency's for a manager."""
    policy.require_some_template_manager(principal)
    found = await repository.templates(
        session,
        agency_code=principal.agency_code,
        everything=principal.is_citywide_staff,
        category=None,
    )
    return [t for t in found if policy.can_manage_templates(principal, t.agency_code)]


async def _check_refs(session: AsyncSession, agency: str | None, category: str | None) -> None:
    errors = []
    if agency is not None and await agencies_repo.get_agency(session, agency) is None:
        errors.append(FieldError("agency", _("Cần chọn cơ quan xử lý có thật.")))
    if category is not None and await categories_repo.category(session, category) is None:
        errors.append(FieldError("category", _("Lĩnh vực không tồn tại: %(code)s."), {"code": category}))
    if errors:
        raise ValidationFailed(errors=errors)


def _clean(text: str, field: str) -> str:
    cleaned = clean_plain_text(text)
    if not cleaned:
        raise ValidationFailed(_("Trường này không được để trống."), field=field)
    return cleaned


async def create_template(session: AsyncSession, principal: Principal, data: TemplateIn) -> ReplyTemplate:
    policy.require_template_manager(principal, data.agency)
    await _check_refs(session, data.agency, data.category)
    body = _clean(data.body, "body")
    if errors := check_body(body):
        raise ValidationFailed(errors=errors)
    now = utcnow()
    template = ReplyTemplate(
        agency_code=data.agency,
        category_code=data.category,
        title=_clean(data.title, "title"),
        body=body,
        is_active=data.is_active,
        created_by_id=principal.account_id,
        created_at=now,
        updated_at=now,
    )
    session.add(template)
    await session.flush()
    await _audit(session, principal, "reply_template.created", template)
    return template


async def _editable(session: AsyncSession, principal: Principal, template_id: uuid.UUID) -> ReplyTemplate:
    policy.require_staff(principal)
    template = await repository.template(session, template_id)
    if template is None or not policy.can_use_template(principal, template.agency_code):
        raise NotFound(_("Không tìm thấy mẫu trả lời."))
    policy.require_template_manager(principal, template.agency_code)
    return template


async def template_to_edit(
    session: AsyncSession, principal: Principal, template_id: uuid.UUID
) -> ReplyTemplate:
    """One template, for those who may change it (its edit form)."""
    return await _editable(session, principal, template_id)


async def update_template(
    session: AsyncSession, principal: Principal, template_id: uuid.UUID, data: TemplatePatch
) -> ReplyTemplate:
    template = await _editable(session, principal, template_id)
    fields = data.model_dump(exclude_unset=True)
    if "category" in fields:
        await _check_refs(session, None, data.category)
        template.category_code = data.category
    if data.title is not None:
        template.title = _clean(data.title, "title")
    if data.body is not None:
        body = _clean(data.body, "body")
        if errors := check_body(body):
            raise ValidationFailed(errors=errors)
        template.body = body
    if data.is_active is not None:
        template.is_active = data.is_active
    template.updated_at = utcnow()
    await session.flush()
    await _audit(session, principal, "reply_template.updated", template)
    return template


async def delete_template(session: AsyncSession, principal: Principal, template_id: uuid.UUID) -> None:
    template = await _editable(session, principal, template_id)
    await _audit(session, principal, "reply_template.deleted", template)
    await repository.delete_template(session, template)


async def _audit(session: AsyncSession, principal: Principal, action: str, template: ReplyTemplate) -> None:
    await audit.record(
        session,
        principal,
        action,
        subject_type="reply_template",
        subject_id=template.id,
        details={"agency": template.agency_code, "category": template.category_code, "title": template.title},
    )


async def reply_from_template(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, data: TemplateReplyIn
) -> ReportEvent:
    report = await reports.get_for(session, principal, report_id)
    policy.require_internal_access(principal, report)
    template = await repository.template(session, data.template)
    if (
        template is None
        or not template.is_active
        or not policy.can_use_template(principal, template.agency_code)
        or template.agency_code not in (None, report.agency_code)
    ):
        raise ValidationFailed(_("Không tìm thấy mẫu trả lời dùng được cho phản ánh này."), field="template")
    message = fill(template.body, await values_for(session, report))
    return await conversation.reply(session, principal, report_id, ReplyIn(kind=data.kind, message=message))


# ---- rejection reasons ------------------------------------------------------------------------


async def list_reasons(
    session: AsyncSession, principal: Principal, *, include_inactive: bool
) -> Sequence[RejectionReason]:
    policy.require_staff(principal)
    return await reports_repo.rejection_reasons(
        session, active_only=not (include_inactive and principal.role == policy.ADMIN)
    )


async def create_reason(session: AsyncSession, principal: Principal, data: ReasonIn) -> RejectionReason:
    policy.require_admin(principal)
    if await reports_repo.rejection_reason(session, data.code) is not None:
        raise Conflict(_("Mã lý do đã có: %(code)s."), code=data.code)
    reason = RejectionReason(
        code=data.code,
        text_vi=_clean(data.text_vi, "text_vi"),
        text_en=_clean(data.text_en, "text_en"),
        sort_order=data.sort_order,
        is_active=data.is_active,
    )
    session.add(reason)
    await session.flush()
    await _audit_reason(session, principal, "rejection_reason.created", reason)
    return reason


async def update_reason(
    session: AsyncSession, principal: Principal, code: str, data: ReasonPatch
) -> RejectionReason:
    policy.require_admin(principal)
    reason = await reports_repo.rejection_reason(session, code)
    if reason is None:
        raise NotFound(_("Không tìm thấy lý do không tiếp nhận."))
    if data.text_vi is not None:
        reason.text_vi = _clean(data.text_vi, "text_vi")
    if data.text_en is not None:
        reason.text_en = _clean(data.text_en, "text_en")
    if data.sort_order is not None:
        reason.sort_order = data.sort_order
    if data.is_active is not None:
        reason.is_active = data.is_active
    await session.flush()
    await _audit_reason(session, principal, "rejection_reason.updated", reason)
    return reason


async def _audit_reason(
    session: AsyncSession, principal: Principal, action: str, reason: RejectionReason
) -> None:
    await audit.record(
        session,
        principal,
        action,
        subject_type="rejection_reason",
        subject_id=reason.code,
        details={"text_vi": reason.text_vi, "text_en": reason.text_en, "is_active": reason.is_active},
    )
