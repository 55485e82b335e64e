"""The status machine: who moves a report where, reopening, closing, and marking duplicates."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.authz import policy
from congdan.authz.policy import Principal
from congdan.categories import repository as categories_repo
from congdan.db import utcnow
from congdan.kit.errors import Conflict, InvalidTransition, ValidationFailed
from congdan.kit.i18n import _
from congdan.kit.text import clean_plain_text
from congdan.models import Report, ReportEvent, ReportFollower
from congdan.reports import events, repository
from congdan.reports import service as shared
from congdan.reports.context import Context
from congdan.reports.deadlines import add_working_days, set_due
from congdan.reports.schemas import TransitionIn
from congdan.reports.states import FINAL, NOTE_REQUIRED, Status, allowed, label

# The rejection reason that says nothing by itself: the note must say it.
OTHER_REASON = "other"
# Where a report is in the hands of its agency, and so may be given to one of its officers.
WORKING = frozenset({Status.ASSIGNED, Status.IN_PROGRESS})


async def transition(
    session: AsyncSession, ctx: Context, principal: Principal, report_id: uuid.UUID, data: TransitionIn
) -> Report:
    policy.require_identified(principal)
    report = await shared.load_for_change(session, principal, report_id)
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
    reason = await _rejection_reason(session, data.reason, note) if target == Status.REJECTED else None
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
    photo_ids = await shared.claim_photos(session, principal, data.photos, "photos")
    event = await move(
        session,
        report,
        principal,
        target,
        note=note,
        public=data.public,
        agency_code=agency_code,
        duplicate_of=duplicate_of.id if duplicate_of is not None else None,
        reason_code=reason,
    )
    await repository.attach_media(session, photo_ids, report.id, event.id)
    if duplicate_of is not None:
        await _follow_original(session, report, duplicate_of)
    await shared.audit_staff(session, principal, "report.transition", report, event, to=target.value)
    if target == Status.REOPENED:
        category = (
            await categories_repo.category(session, report.category_code) if report.category_code else None
        )
        days = category.deadline_days if category else ctx.settings.default_deadline_days
        set_due(report, add_working_days(utcnow(), days))
    return report


async def _rejection_reason(session: AsyncSession, code: str | None, note: str | None) -> str:
    if not code:
        raise ValidationFailed(_("Cần chọn lý do không tiếp nhận."), field="reason")
    reason = await repository.rejection_reason(session, code)
    if reason is None or not reason.is_active:
        raise ValidationFailed(_("Lý do không tiếp nhận không có trong danh sách."), field="reason")
    if reason.code == OTHER_REASON and not note:
        raise ValidationFailed(_("Với lý do khác, cần ghi rõ lý do cho người dân."), field="note")
    return reason.code


async def assign_officer(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, officer_id: uuid.UUID
) -> Report:
    """Gives an open report of an agency to one of its officers (an internal step of the history)."""
    policy.require_staff(principal)
    report = await shared.load_for_change(session, principal, report_id)
    if Status(report.status) not in WORKING:
        raise InvalidTransition(
            _("Chỉ giao việc được khi phản ánh đang ở cơ quan xử lý (hiện: «%(current)s»)."),
            current=label(report.status),
        )
    officer = (await repository.accounts_by_id(session, {officer_id})).get(officer_id)
    if officer is None:
        raise ValidationFailed(_("Không tìm thấy cán bộ được giao."), field="officer")
    policy.require_officer_assignment(principal, report, officer)
    if report.assignee_id == officer.id:
        raise Conflict(_("Phản ánh đã được giao cho cán bộ này."))
    report.assignee_id = officer.id
    report.updated_at = utcnow()
    event = shared.record(
        session,
        report,
        principal,
        type_="assignee",
        from_status=None,
        to_status=None,
        note=officer.display_name,
        public=False,
        agency_code=report.agency_code,
    )
    await session.flush()
    await shared.audit_staff(session, principal, "report.assignee", report, event, officer=str(officer.id))
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


async def move(
    session: AsyncSession,
    report: Report,
    actor: Principal,
    target: Status,
    *,
    note: str | None,
    public: bool,
    agency_code: str | None = None,
    duplicate_of: uuid.UUID | None = None,
    reason_code: str | None = None,
) -> ReportEvent:
    current = apply(report, target, agency_code=agency_code, duplicate_of=duplicate_of)
    return await announce(
        session, report, actor, current, target, note=note, public=public, reason_code=reason_code
    )


def apply(
    report: Report, target: Status, *, agency_code: str | None = None, duplicate_of: uuid.UUID | None = None
) -> Status:
    """The report's fields after a move to `target`, checked against the status machine; returns
    the status it left. `announce` records the move: a report not yet written takes its first
    move this way, so that it is inserted once, with its status."""
    current = Status(report.status)
    if not allowed(current, target):  # the machine obeys the same rules as people
        raise InvalidTransition(current=label(current), target=label(target))
    now = utcnow()
    report.status = target.value
    report.updated_at = now
    if target == Status.ASSIGNED and agency_code is not None:
        if agency_code != report.agency_code:
            report.assignee_id = None  # an officer works for one agency only
        report.agency_code = agency_code
    if target == Status.RESOLVED:
        report.resolved_at = now
    if target == Status.REOPENED:
        report.resolved_at = None
        report.reopened_at = now
    if target in FINAL:
        report.closed_at = now
    if target == Status.DUPLICATE:
        report.duplicate_of_id = duplicate_of
    return current


async def announce(
    session: AsyncSession,
    report: Report,
    actor: Principal,
    current: Status,
    target: Status,
    *,
    note: str | None,
    public: bool,
    reason_code: str | None = None,
    flush: bool = True,
) -> ReportEvent:
    """The history row of a move `apply` made, and its outbox row (`flush` as for
    `record_and_announce`)."""
    event = await shared.record_and_announce(
        session,
        report,
        actor,
        events.STATUS_CHANGED,
        type_="status",
        from_status=current,
        to_status=target,
        note=note,
        public=public,
        agency_code=report.agency_code,
        payload={
            "from": current.value,
            "to": target.value,
            "public": public,
            "agency": report.agency_code,
            "actor_role": actor.role,
        },
        flush=flush,
    )
    if reason_code is not None:
        event.reason_code = reason_code
        await session.flush()
    return event
