"""The rules of the catalogue: seeding, reading a version, searching, and an edit as a new version."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.audit import service as audit
from congdan.authz.policy import Principal, require_admin
from congdan.catalogue import repository, search
from congdan.catalogue.data import FIELDS, LIFE_EVENTS
from congdan.catalogue.procedures_family import FAMILY
from congdan.catalogue.procedures_work import WORK_AND_PROPERTY
from congdan.catalogue.schemas import (
    DocumentOut,
    ProcedureDraft,
    ProcedureOut,
    ProcedureSummary,
    VersionEntry,
    VersionList,
)
from congdan.db import utcnow
from congdan.kit.errors import BadRequest, NotFound, ValidationFailed
from congdan.kit.i18n import _, translate
from congdan.models import Procedure, ProcedureVersion

# Each process's copy of the index; its stamp tells whether another process saved an edit since.
_index: search.Index | None = None

VERSION_ADDED = "procedure.version_added"
TEMPLATE_PREFIX = "/dich-vu-cong/mau/"
# The day the seeded texts were written against; an edit names its own.
SEEDED_EFFECTIVE_FROM = date(2025, 7, 1)


async def seed_procedures(session: AsyncSession) -> int:
    have = await repository.existing_codes(session)
    new = [p for p in (*FAMILY, *WORK_AND_PROPERTY) if p.code not in have]
    for p in new:
        content = {
            "steps": p.steps,
            "documents": [asdict(d) for d in p.documents],
            "legal_basis": p.legal_basis,
            "life_events": p.life_events,
            "keywords": p.keywords,
            "handled_by": p.handled_by,
        }
        await repository.add(session, Procedure(code=p.code, current_version=1))
        await repository.add(
            session,
            ProcedureVersion(
                procedure_code=p.code,
                number=1,
                effective_from=SEEDED_EFFECTIVE_FROM,
                name=p.name,
                field=p.field,
                level=p.level,
                agency_code=p.agency_code,
                online_mode=p.online_mode,
                processing_days=p.processing_days,
                fee_text=p.fee_text,
                fee_vnd=p.fee_vnd,
                content=content,
            ),
        )
    return len(new)


async def index(session: AsyncSession) -> search.Index:
    global _index
    stamp = await repository.stamp(session)
    if _index is None or _index.stamp != stamp:
        _index = search.build(stamp, list(await repository.current_versions(session)))
    return _index


def field_name(field: str, locale: str) -> str:
    return translate(FIELDS.get(field, field), locale)


def summary(card: search.Card, locale: str) -> ProcedureSummary:
    return ProcedureSummary(
        code=card.code,
        name=card.name,
        field=card.field,
        field_name=field_name(card.field, locale),
        level=card.level,
        online_mode=card.online_mode,
        processing_days=card.processing_days,
        fee_text=card.fee_text,
        life_events=list(card.life_events),
    )


def full(v: ProcedureVersion, current: int, locale: str) -> ProcedureOut:
    c = v.content
    documents = [
        DocumentOut(
            name=d["name"],
            copies=d.get("copies", 1),
            note=d.get("note", ""),
            template_url=TEMPLATE_PREFIX + d["template"] if d.get("template") else None,
        )
        for d in c.get("documents", [])
    ]
    return ProcedureOut(
        **summary(search.card(v), locale).model_dump(),
        version_id=v.id,
        version=v.number,
        current_version=current,
        effective_from=v.effective_from,
        agency_code=v.agency_code,
        handled_by=c.get("handled_by", ""),
        fee_vnd=v.fee_vnd,
        steps=list(c.get("steps", [])),
        documents=documents,
        legal_basis=list(c.get("legal_basis", [])),
        keywords=list(c.get("keywords", [])),
    )


def check_filters(field: str | None, life_event: str | None) -> None:
    if field is not None and field not in FIELDS:
        raise BadRequest(_("Không có lĩnh vực này trong danh mục."), field="field")
    if life_event is not None and life_event not in LIFE_EVENTS:
        raise BadRequest(_("Không có sự kiện này trong danh mục."), field="life_event")


async def find(
    session: AsyncSession, q: str = "", field: str | None = None, life_event: str | None = None
) -> list[search.Card]:
    check_filters(field, life_event)
    return search.search(await index(session), q, field, life_event)


async def current(session: AsyncSession, code: str) -> ProcedureVersion:
    v = await repository.current_version(session, code)
    if v is None:
        raise NotFound(_("Không tìm thấy thủ tục."))
    return v


async def version(session: AsyncSession, code: str, number: int) -> tuple[ProcedureVersion, int]:
    v = await repository.version(session, code, number)
    p = await repository.procedure(session, code)
    if v is None or p is None:
        raise NotFound(_("Không tìm thấy phiên bản này của thủ tục."))
    return v, p.current_version


async def history(session: AsyncSession, code: str) -> VersionList:
    """Every version of a procedure, newest first: files submitted under an earlier one are judged
    by its text, so none is ever dropped."""
    p = await repository.procedure(session, code)
    if p is None:
        raise NotFound(_("Không tìm thấy thủ tục."))
    items = [
        VersionEntry(
            number=v.number,
            effective_from=v.effective_from,
            created_at=v.created_at,
            current=v.number == p.current_version,
        )
        for v in await repository.versions_of(session, code)
    ]
    return VersionList(code=code, items=items)


async def version_by_id(session: AsyncSession, version_id: uuid.UUID) -> ProcedureVersion:
    v = await repository.version_by_id(session, version_id)
    if v is None:
        raise NotFound(_("Không tìm thấy phiên bản này của thủ tục."))
    return v


async def edit(session: AsyncSession, actor: Principal, code: str, draft: ProcedureDraft) -> ProcedureVersion:
    """Writes the next version and makes it current; the earlier ones stay as they were."""
    require_admin(actor)
    p = await repository.procedure(session, code, for_update=True)
    if p is None:
        raise NotFound(_("Không tìm thấy thủ tục."))
    check_filters(draft.field, None)
    if draft.agency_code is not None and await agencies_repo.get_agency(session, draft.agency_code) is None:
        raise ValidationFailed(_("Cần chọn cơ quan xử lý có thật."), field="agency_code")
    unknown = [e for e in draft.life_events if e not in LIFE_EVENTS]
    if unknown:
        raise ValidationFailed(_("Không có sự kiện này trong danh mục."), field="life_events")
    latest = max(v.number for v in await repository.versions_of(session, code))
    content = {
        "steps": draft.steps,
        "documents": [d.model_dump() for d in draft.documents],
        "legal_basis": draft.legal_basis,
        "life_events": draft.life_events,
        "keywords": draft.keywords,
        "handled_by": draft.handled_by,
    }
    new = ProcedureVersion(
        procedure_code=code,
        number=latest + 1,
        effective_from=draft.effective_from,
        name=draft.name,
        field=draft.field,
        level=draft.level,
        agency_code=draft.agency_code,
        online_mode=draft.online_mode,
        processing_days=draft.processing_days,
        fee_text=draft.fee_text,
        fee_vnd=draft.fee_vnd,
        content=content,
        created_by=actor.account_id,
    )
    await repository.add(session, new)
    p.current_version = new.number
    p.updated_at = utcnow()
    await session.flush()
    details = {"version": new.number, "name": new.name}
    await audit.record(
        session, actor, VERSION_ADDED, subject_type="procedure", subject_id=code, details=details
    )
    return new


async def current_all(session: AsyncSession) -> list[ProcedureVersion]:
    return list(await repository.current_versions(session))
