"""The routing rules table: administrators add, change and remove rules; each change is audited.
A new category starts with its default rule."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.areas import repository as areas_repo
from congdan.audit import service as audit
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.categories import repository as categories_repo
from congdan.categories.data import OTHER
from congdan.db import utcnow
from congdan.kit.errors import FieldError, NotFound, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.text import clean_plain_text
from congdan.models import Category, RoutingRule
from congdan.routing import repository
from congdan.routing.schemas import RuleIn, RulePatch


def default_rule_for(category: Category) -> RoutingRule | None:
    """The rule a new category starts with: ward level → the unit's committee, city level → its
    department or company. A category with neither waits in triage until an administrator adds one."""
    if category.level == "ward":
        return RoutingRule(category_code=category.code, to_unit_committee=True, priority=0)
    if category.default_agency_code:
        return RoutingRule(category_code=category.code, agency_code=category.default_agency_code, priority=0)
    return None


async def _check_rule(session: AsyncSession, rule: RoutingRule) -> None:
    errors: list[FieldError] = []
    if rule.to_unit_committee == (rule.agency_code is not None):
        errors.append(FieldError("agency", _("Chọn đúng một nơi nhận: một cơ quan, hoặc UBND của đơn vị.")))
    if rule.category_code == OTHER:
        errors.append(FieldError("category", _("Phản ánh lĩnh vực Khác luôn do điều phối viên phân loại.")))
    elif (
        rule.category_code is not None and await categories_repo.category(session, rule.category_code) is None
    ):
        errors.append(
            FieldError("category", _("Lĩnh vực không tồn tại: %(code)s."), {"code": rule.category_code})
        )
    if rule.area_code is not None and await areas_repo.get_area(session, rule.area_code) is None:
        errors.append(FieldError("area", _("Không tìm thấy đơn vị hành chính.")))
    if rule.agency_code is not None:
        agency = await agencies_repo.get_agency(session, rule.agency_code)
        if agency is None or not agency.is_active:
            errors.append(FieldError("agency", _("Cần chọn cơ quan xử lý có thật.")))
    if errors:
        raise ValidationFailed(errors=errors)


async def create_rule(session: AsyncSession, principal: Principal, data: RuleIn) -> RoutingRule:
    policy.require_admin(principal)
    now = utcnow()
    rule = RoutingRule(
        category_code=data.category,
        area_code=data.area,
        area_type=data.area_type,
        agency_code=data.agency,
        to_unit_committee=data.to_unit_committee,
        priority=data.priority,
        is_active=data.is_active,
        note=clean_plain_text(data.note) if data.note else None,
        created_at=now,
        updated_at=now,
    )
    await _check_rule(session, rule)
    session.add(rule)
    await session.flush()
    await _audit_rule(session, principal, "routing.rule_created", rule)
    return rule


async def _audit_rule(session: AsyncSession, principal: Principal, action: str, rule: RoutingRule) -> None:
    await audit.record(
        session,
        principal,
        action,
        subject_type="routing_rule",
        subject_id=rule.id,
        details={
            "category": rule.category_code,
            "area": rule.area_code,
            "area_type": rule.area_type,
            "agency": rule.agency_code,
            "to_unit_committee": rule.to_unit_committee,
            "priority": rule.priority,
            "is_active": rule.is_active,
        },
    )


_PATCH_FIELDS = {
    "category": "category_code",
    "area": "area_code",
    "area_type": "area_type",
    "agency": "agency_code",
    "to_unit_committee": "to_unit_committee",
    "priority": "priority",
    "is_active": "is_active",
    "note": "note",
}


async def update_rule(
    session: AsyncSession, principal: Principal, rule_id: uuid.UUID, data: RulePatch
) -> RoutingRule:
    policy.require_admin(principal)
    rule = await repository.get_rule(session, rule_id)
    if rule is None:
        raise NotFound(_("Không tìm thấy quy tắc định tuyến."))
    for field, value in data.model_dump(exclude_unset=True).items():
        if field in ("to_unit_committee", "priority", "is_active") and value is None:
            raise ValidationFailed(_("Trường này không được để trống."), field=field)
        setattr(rule, _PATCH_FIELDS[field], value)
    await _check_rule(session, rule)
    rule.updated_at = utcnow()
    await session.flush()
    await _audit_rule(session, principal, "routing.rule_updated", rule)
    return rule


async def delete_rule(session: AsyncSession, principal: Principal, rule_id: uuid.UUID) -> None:
    policy.require_admin(principal)
    rule = await repository.get_rule(session, rule_id)
    if rule is None:
        raise NotFound(_("Không tìm thấy quy tắc định tuyến."))
    await _audit_rule(session, principal, "routing.rule_deleted", rule)
    await repository.delete_rule(session, rule)


async def list_rules(
    session: AsyncSession, principal: Principal, category: str | None
) -> Sequence[RoutingRule]:
    policy.require_staff(principal)
    return await repository.list_rules(session, category)


async def seed_rules(session: AsyncSession, new_categories: Sequence[Category]) -> int:
    """Default rules for categories created just now; existing categories keep what admins made."""
    rules = [r for r in (default_rule_for(c) for c in new_categories) if r is not None]
    session.add_all(rules)
    await session.flush()
    return len(rules)
