"""Administrators' changes to a category: its names, deadline, duplicate radius and default
agency. Each change is checked here and written to the audit log with what it was before.

The default agency is where a new category's first routing rule sends reports (routing/rules.py);
which agency receives a report is decided by the routing rules, edited on their own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.audit import service as audit
from congdan.authz.policy import Principal, require_admin
from congdan.categories import repository
from congdan.categories.schemas import CategoryPatch
from congdan.kit.errors import FieldError, NotFound, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.text import clean_plain_text
from congdan.models import Category

UPDATED = "category.updated"
_FIELDS = ("name_vi", "name_en", "deadline_days", "duplicate_radius_m", "default_agency_code")


async def all_categories(session: AsyncSession, actor: Principal) -> Sequence[Category]:
    """Every category, in use or not, for the administrators' list."""
    require_admin(actor)
    return await repository.all_categories(session)


async def category_to_edit(session: AsyncSession, actor: Principal, code: str) -> Category:
    require_admin(actor)
    category = await repository.category(session, code)
    if category is None:
        raise NotFound(_("Không tìm thấy lĩnh vực."))
    return category


def _name(value: str, field: str) -> str:
    cleaned = clean_plain_text(value)
    if not cleaned:
        raise ValidationFailed(_("Trường này không được để trống."), field=field)
    return cleaned


async def update_category(
    session: AsyncSession, actor: Principal, code: str, data: CategoryPatch
) -> Category:
    category = await category_to_edit(session, actor, code)
    fields = data.model_dump(exclude_unset=True)
    errors: list[FieldError] = []
    if "default_agency" in fields and data.default_agency is not None:
        agency = await agencies_repo.get_agency(session, data.default_agency)
        if agency is None or not agency.is_active:
            errors.append(FieldError("default_agency", _("Cần chọn cơ quan xử lý có thật.")))
    if errors:
        raise ValidationFailed(errors=errors)
    before = _shown(category)
    if data.name_vi is not None:
        category.name_vi = _name(data.name_vi, "name_vi")
    if data.name_en is not None:
        category.name_en = _name(data.name_en, "name_en")
    if data.deadline_days is not None:
        category.deadline_days = data.deadline_days
    if data.duplicate_radius_m is not None:
        category.duplicate_radius_m = data.duplicate_radius_m
    if "default_agency" in fields:
        category.default_agency_code = data.default_agency
    after = _shown(category)
    changed = {k: {"from": before[k], "to": after[k]} for k in _FIELDS if before[k] != after[k]}
    await session.flush()
    if changed:
        await audit.record(session, actor, UPDATED, subject_type="category", subject_id=code, details=changed)
    return category


def _shown(category: Category) -> dict[str, Any]:
    return {name: getattr(category, name) for name in _FIELDS}
