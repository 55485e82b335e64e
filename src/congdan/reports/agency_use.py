"""An administrator takes an agency out of use, or back into it. Out of use, it is offered
nowhere as a routing or transfer target and receives no new reports, while the reports it
handled stay where they are. It is refused while the agency still has work or is still where
new reports would go: open reports, a category's default agency, an active routing rule's
target; the refusal names each."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.audit import service as audit
from congdan.authz.policy import Principal, require_admin
from congdan.categories import repository as categories_repo
from congdan.kit.errors import Conflict, FieldError, NotFound
from congdan.kit.i18n import _
from congdan.models import Agency
from congdan.reports import repository
from congdan.routing import repository as routing_repo

DEACTIVATED = "agency.deactivated"
REACTIVATED = "agency.reactivated"


async def _still_needed(session: AsyncSession, code: str) -> list[FieldError]:
    found = []
    if count := await repository.count_open_for_agency(session, code):
        found.append(
            FieldError(
                "open_reports",
                _("Cơ quan còn %(n)s phản ánh đang mở: hãy xử lý xong hoặc chuyển đi trước."),
                {"n": count},
            )
        )
    if categories := await categories_repo.defaulting_to(session, code):
        names = ", ".join(c.name_vi for c in categories)
        found.append(
            FieldError(
                "categories", _("Cơ quan là cơ quan mặc định của lĩnh vực: %(names)s."), {"names": names}
            )
        )
    if rules := await routing_repo.active_rules_to(session, code):
        shown = ", ".join(r.category_code or "*" for r in rules)
        found.append(
            FieldError(
                "routing_rules",
                _("Cơ quan là nơi nhận của %(n)s luật phân luồng đang dùng (lĩnh vực: %(codes)s)."),
                {"n": len(rules), "codes": shown},
            )
        )
    return found


async def set_agency_active(session: AsyncSession, actor: Principal, code: str, *, active: bool) -> Agency:
    require_admin(actor)
    agency = await agencies_repo.get_agency(session, code)
    if agency is None:
        raise NotFound(_("Không tìm thấy cơ quan."))
    if agency.is_active == active:
        return agency
    if not active and (reasons := await _still_needed(session, code)):
        raise Conflict(_("Chưa ngừng được cơ quan."), errors=reasons)
    agency.is_active = active
    await session.flush()
    await audit.record(
        session, actor, REACTIVATED if active else DEACTIVATED, subject_type="agency", subject_id=agency.code
    )
    return agency
