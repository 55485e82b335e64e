"""Who may see and do what. Services ask here; nothing else decides permissions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from congdan.kit.errors import Forbidden, NotFound, Unauthorized
from congdan.kit.i18n import _
from congdan.models import Account, Report

RESIDENT = "resident"
COORDINATOR = "coordinator"
AGENCY_MANAGER = "agency_manager"
AGENCY_OFFICER = "agency_officer"
ADMIN = "admin"
STAFF_ROLES = frozenset({COORDINATOR, AGENCY_MANAGER, AGENCY_OFFICER, ADMIN})
AGENCY_ROLES = frozenset({AGENCY_MANAGER, AGENCY_OFFICER})
ALL_ROLES = frozenset({RESIDENT, *STAFF_ROLES})
SYSTEM = "system"
# Someone without an account who proved, by a one-time code sent to the contact they left, that
# they sent one report: they act as its reporter on that report and are anonymous everywhere else.
PROVEN_REPORTER = "proven_reporter"


@dataclass(frozen=True)
class Principal:
    account_id: uuid.UUID | None
    role: str  # one of ALL_ROLES, "public" for anonymous callers, "system" for the machine
    agency_code: str | None = None
    report_id: uuid.UUID | None = None  # the one report a PROVEN_REPORTER proved

    @property
    def is_authenticated(self) -> bool:
        return self.account_id is not None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_citywide_staff(self) -> bool:
        return self.role in (COORDINATOR, ADMIN)


PUBLIC = Principal(account_id=None, role="public")
MACHINE = Principal(account_id=None, role=SYSTEM)


def proven_reporter(report_id: uuid.UUID) -> Principal:
    return Principal(account_id=None, role=PROVEN_REPORTER, report_id=report_id)


def account_principal(account: Account) -> Principal:
    """The principal an account acts as, for deciding what may be sent to it."""
    return Principal(account_id=account.id, role=account.role, agency_code=account.agency_code)


def is_reporter(principal: Principal, report: Report) -> bool:
    if principal.role == PROVEN_REPORTER:
        return principal.report_id == report.id
    return principal.account_id is not None and principal.account_id == report.reporter_id


def is_handling_agency(principal: Principal, report: Report) -> bool:
    return (
        principal.role in AGENCY_ROLES
        and principal.agency_code is not None
        and (principal.agency_code == report.agency_code)
    )


def _view_grants(principal: Principal) -> list[tuple[InstrumentedAttribute[Any], object]] | None:
    """Who may see a report, as the report columns whose value lets this principal see it (None:
    every report). Both the per-report check and the SQL filter of every list read it, so the two
    cannot drift apart: public reports, the reporter's own (an account's, or the one a proven
    reporter proved), the handling agency's; city-wide staff see all."""
    if principal.is_citywide_staff:
        return None
    grants: list[tuple[InstrumentedAttribute[Any], object]] = [(Report.is_public, True)]
    if principal.role == PROVEN_REPORTER:
        if principal.report_id is not None:
            grants.append((Report.id, principal.report_id))
    elif principal.account_id is not None:
        grants.append((Report.reporter_id, principal.account_id))
    if principal.role in AGENCY_ROLES and principal.agency_code is not None:
        grants.append((Report.agency_code, principal.agency_code))
    return grants


def can_view_report(principal: Principal, report: Report) -> bool:
    grants = _view_grants(principal)
    return grants is None or any(getattr(report, column.key) == value for column, value in grants)


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """can_view_report as SQL: every list of reports, whatever it is for, filters by it."""
    grants = _view_grants(principal)
    if grants is None:
        return true()
    return or_(*(column == value for column, value in grants))


def can_see_internal(principal: Principal, report: Report) -> bool:
    """Internal notes and staff-only fields: the city's coordinators and the agency handling it."""
    return principal.is_citywide_staff or is_handling_agency(principal, report)


def can_see_contact(principal: Principal, report: Report) -> bool:
    return is_reporter(principal, report) or can_see_internal(principal, report)


def require_authenticated(principal: Principal) -> None:
    if not principal.is_authenticated:
        raise Unauthorized(headers={"WWW-Authenticate": "Bearer"})


def require_identified(principal: Principal) -> None:
    """A signed-in account or a proven reporter; what each may then do is checked per report."""
    if not principal.is_authenticated and principal.role != PROVEN_REPORTER:
        raise Unauthorized(headers={"WWW-Authenticate": "Bearer"})


def require_staff(principal: Principal) -> None:
    require_authenticated(principal)
    if not principal.is_staff:
        raise Forbidden()


def require_viewable(principal: Principal, report: Report) -> None:
    if not can_view_report(principal, report):
        # A private report does not exist for those who may not see it.
        raise NotFound(_("Không tìm thấy phản ánh."))


def require_internal_access(principal: Principal, report: Report) -> None:
    require_authenticated(principal)
    if not can_see_internal(principal, report):
        raise Forbidden(_("Chỉ điều phối viên hoặc cơ quan đang xử lý mới được thao tác trên phản ánh này."))


def require_reporter(principal: Principal, report: Report) -> None:
    require_identified(principal)
    if not is_reporter(principal, report):
        raise Forbidden(_("Chỉ người gửi phản ánh mới được thao tác này."))


def require_admin(principal: Principal) -> None:
    require_authenticated(principal)
    if principal.role != ADMIN:
        raise Forbidden()


def can_transition(principal: Principal, report: Report, target: str) -> bool:
    """Who may move a report to each status (the status machine itself says which moves exist)."""
    citywide = principal.is_citywide_staff
    agency = is_handling_agency(principal, report)
    allowed_for = {
        "assigned": citywide,
        "triage": citywide,
        "in_progress": agency,
        "transferred": agency,
        "rejected": citywide or (agency and report.status == "assigned"),
        "resolved": agency,
        "closed": citywide or is_reporter(principal, report),
        "reopened": is_reporter(principal, report),
        "duplicate": citywide or agency,
    }
    return allowed_for.get(target, False)


def require_transition(principal: Principal, report: Report, target: str, target_label: str) -> None:
    """`target_label` is the status in residents' words (a Phrase), so the refusal never shows a code."""
    if not can_transition(principal, report, target):
        raise Forbidden(
            _("Bạn không có quyền chuyển phản ánh sang trạng thái «%(target)s»."), target=target_label
        )


def require_self_erasure(principal: Principal) -> None:
    """Residents delete their own accounts; staff accounts are closed by an administrator."""
    require_authenticated(principal)
    if principal.role != RESIDENT:
        raise Forbidden(_("Tài khoản cán bộ do quản trị viên quản lý; không tự xóa được."))


# ---- Announcements and emergency alerts --------------------------------------------


def can_publish_for(principal: Principal, agency_code: str | None) -> bool:
    """City-wide staff publish for the city or any agency; agency staff for their own agency."""
    if principal.is_citywide_staff:
        return True
    return principal.role in AGENCY_ROLES and agency_code is not None and principal.agency_code == agency_code


def require_publisher(principal: Principal, agency_code: str | None) -> None:
    require_staff(principal)
    if not can_publish_for(principal, agency_code):
        raise Forbidden(_("Bạn chỉ được đăng thông báo của cơ quan mình."))


def require_alert_sender(principal: Principal, agency_code: str | None) -> None:
    """Emergency alerts reach every phone in a unit: coordinators, admins and agency managers only."""
    require_staff(principal)
    if principal.is_citywide_staff:
        return
    if principal.role == AGENCY_MANAGER and agency_code is not None and principal.agency_code == agency_code:
        return
    raise Forbidden(_("Chỉ điều phối viên hoặc lãnh đạo cơ quan mới được gửi cảnh báo khẩn cấp."))


def require_queue_access(principal: Principal, agency_code: str) -> None:
    """An agency's queue: its own staff, and the city's coordinators and admins."""
    require_staff(principal)
    if principal.is_citywide_staff or (
        principal.role in AGENCY_ROLES and principal.agency_code == agency_code
    ):
        return
    raise Forbidden()


def require_performance_access(principal: Principal) -> None:
    """The monthly unit report: every staff member sees the ranking of all agencies."""
    require_staff(principal)


def can_see_late_reports(principal: Principal, agency_code: str) -> bool:
    """Which reports an agency had late: city-wide staff for every agency, an agency's own staff
    for theirs; others see its figures only."""
    if principal.is_citywide_staff:
        return True
    return principal.role in AGENCY_ROLES and principal.agency_code == agency_code


# ---- The workbench ------------------------------------------------------------------------------


def queue_filter(principal: Principal, agency_code: str | None) -> ColumnElement[bool]:
    """The reports of an agency's queue, as SQL, taken from the one visibility definition: the
    grant that lets agency staff see their agency's reports (public or not), or city-wide staff's
    sight of every report, narrowed to one agency when they choose one."""
    require_staff(principal)
    grants = _view_grants(principal)
    if grants is None:
        return true() if agency_code is None else Report.agency_code == agency_code
    own = [value for column, value in grants if column is Report.agency_code]
    if not own or (agency_code is not None and agency_code != own[0]):
        raise Forbidden(_("Bạn chỉ xem được hàng đợi của cơ quan mình."))
    return Report.agency_code == own[0]


def require_citywide(principal: Principal) -> None:
    """The triage queue and the city-wide deadline board: the city's coordinators and admins."""
    require_staff(principal)
    if not principal.is_citywide_staff:
        raise Forbidden(_("Chỉ điều phối viên hoặc quản trị viên mới được xem mục này."))


def require_officer_assignment(principal: Principal, report: Report, officer: Account) -> None:
    """Who works on a report inside its agency: the agency's managers and the city's coordinators
    give it to any officer of that agency; an officer may take it for themselves."""
    require_internal_access(principal, report)
    if (
        not officer.is_active
        or officer.role not in AGENCY_ROLES
        or report.agency_code is None
        or officer.agency_code != report.agency_code
    ):
        raise Forbidden(_("Chỉ giao được cho cán bộ của cơ quan đang xử lý phản ánh."))
    if principal.is_citywide_staff or principal.role == AGENCY_MANAGER:
        return
    if principal.account_id != officer.id:
        raise Forbidden(_("Cán bộ chỉ tự nhận việc; giao cho người khác cần lãnh đạo cơ quan."))


def can_manage_templates(principal: Principal, agency_code: str | None) -> bool:
    """Reply templates: admins for every agency and for all at once; managers for their own."""
    if principal.role == ADMIN:
        return True
    return (
        principal.role == AGENCY_MANAGER and agency_code is not None and principal.agency_code == agency_code
    )


def require_template_manager(principal: Principal, agency_code: str | None) -> None:
    require_staff(principal)
    if not can_manage_templates(principal, agency_code):
        raise Forbidden(_("Chỉ quản trị viên hoặc lãnh đạo cơ quan mới được sửa mẫu trả lời."))


def require_some_template_manager(principal: Principal) -> None:
    """The templates' page: for whoever manages the templates of at least one agency."""
    require_template_manager(principal, None if principal.role == ADMIN else principal.agency_code)


def can_use_template(principal: Principal, agency_code: str | None) -> bool:
    """A template shared by every agency, or one of the caller's agency; city-wide staff use all."""
    if not principal.is_staff:
        return False
    return principal.is_citywide_staff or agency_code is None or principal.agency_code == agency_code
