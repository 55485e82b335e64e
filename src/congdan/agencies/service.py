"""Agencies: the ones seeded on a new installation, and administrators' additions and edits
(checked here, each in the audit log)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository
from congdan.agencies.data import CITY_AGENCIES, committee_code, committee_name
from congdan.agencies.schemas import AgencyIn, AgencyPatch
from congdan.areas import repository as areas_repo
from congdan.audit import service as audit
from congdan.authz.policy import Principal, require_admin
from congdan.kit.contact import normalise_email
from congdan.kit.errors import FieldError, NotFound, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.text import clean_plain_text
from congdan.models import Agency


async def seed_agencies(session: AsyncSession) -> int:
    """Adds missing agencies: the city's departments and companies, and one committee per unit."""
    have = await repository.existing_codes(session)
    new: list[Agency] = [
        Agency(code=code, name=name, name_en=name_en, kind=kind, email=email, phone=phone)
        for code, name, name_en, kind, email, phone in CITY_AGENCIES
        if code not in have
    ]
    for area in await areas_repo.unit_names(session):
        code = committee_code(area.code)
        if code not in have:
            name, name_en = committee_name(area.name)
            new.append(Agency(code=code, name=name, name_en=name_en, kind="committee", area_code=area.code))
    session.add_all(new)
    await session.flush()
    return len(new)


# ---- administrators' changes ------------------------------------------------------------------

CREATED = "agency.created"
UPDATED = "agency.updated"
_FIELDS = ("name", "name_en", "email", "phone", "address")


async def all_agencies(session: AsyncSession, actor: Principal) -> Sequence[Agency]:
    require_admin(actor)
    return await repository.all_agencies(session)


async def agency_to_edit(session: AsyncSession, actor: Principal, code: str) -> Agency:
    require_admin(actor)
    agency = await repository.get_agency(session, code)
    if agency is None:
        raise NotFound(_("Không tìm thấy cơ quan."))
    return agency


def _required(value: str, field: str) -> str:
    cleaned = clean_plain_text(value)
    if not cleaned:
        raise ValidationFailed(_("Trường này không được để trống."), field=field)
    return cleaned


def _optional(value: str | None) -> str | None:
    return clean_plain_text(value) or None if value is not None else None


def _email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    normalised = normalise_email(value)
    if normalised is None:
        raise ValidationFailed(_("Địa chỉ email không hợp lệ."), field="email")
    return normalised


async def create_agency(session: AsyncSession, actor: Principal, data: AgencyIn) -> Agency:
    """A new agency; a People's Committee belongs to one unit, any other agency to none."""
    require_admin(actor)
    errors: list[FieldError] = []
    if await repository.get_agency(session, data.code) is not None:
        errors.append(FieldError("code", _("Mã cơ quan đã có: %(code)s."), {"code": data.code}))
    if data.kind == "committee":
        if not data.area or await areas_repo.get_area(session, data.area) is None:
            errors.append(FieldError("area", _("UBND phải gắn với một đơn vị hành chính có thật.")))
    elif data.area:
        errors.append(FieldError("area", _("Chỉ UBND phường, xã mới gắn với một đơn vị hành chính.")))
    if errors:
        raise ValidationFailed(errors=errors)
    agency = Agency(
        code=data.code,
        name=_required(data.name, "name"),
        name_en=_required(data.name_en, "name_en"),
        kind=data.kind,
        area_code=data.area if data.kind == "committee" else None,
        email=_email(data.email),
        phone=_optional(data.phone),
        address=_optional(data.address),
    )
    session.add(agency)
    await session.flush()
    await audit.record(
        session, actor, CREATED, subject_type="agency", subject_id=agency.code, details=_shown(agency)
    )
    return agency


async def update_agency(session: AsyncSession, actor: Principal, code: str, data: AgencyPatch) -> Agency:
    agency = await agency_to_edit(session, actor, code)
    fields = data.model_dump(exclude_unset=True)
    before = _shown(agency)
    if data.name is not None:
        agency.name = _required(data.name, "name")
    if data.name_en is not None:
        agency.name_en = _required(data.name_en, "name_en")
    if "email" in fields:
        agency.email = _email(data.email)
    if "phone" in fields:
        agency.phone = _optional(data.phone)
    if "address" in fields:
        agency.address = _optional(data.address)
    after = _shown(agency)
    changed = {k: {"from": before[k], "to": after[k]} for k in _FIELDS if before[k] != after[k]}
    await session.flush()
    if changed:
        await audit.record(session, actor, UPDATED, subject_type="agency", subject_id=code, details=changed)
    return agency


def _shown(agency: Agency) -> dict[str, Any]:
    return {name: getattr(agency, name) for name in _FIELDS}
