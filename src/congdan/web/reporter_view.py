"""Who is looking at a tracking page, as far as that report goes: its reporter signed in, its
anonymous reporter holding this report's proof (a cookie for that report only), or anyone."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.auth import service as auth
from congdan.authz.policy import PROVEN_REPORTER, PUBLIC, Principal, is_reporter
from congdan.config import Settings
from congdan.reports import service as reports
from congdan.reports.schemas import ContactOut
from congdan.security.cookies import read_cookie
from congdan.web.reporter_actions import ReporterActions, actions_for
from congdan.web.resident_session import current_resident

PROOF_COOKIE = "congdan_proof_"


def proof_cookie(code: str) -> str:
    """The proof of one report lives under that report's own cookie name."""
    return PROOF_COOKIE + code


async def viewer(request: Request, session: AsyncSession, code: str) -> Principal:
    resident = await current_resident(request, session)
    raw = read_cookie(request, proof_cookie(code))
    if raw and len(raw) <= 128:
        proven = await auth.principal_for_token(session, raw)
        if proven is not None and proven.role == PROVEN_REPORTER:
            report = await reports.get_by_code(session, code)
            if is_reporter(proven, report) and (resident is None or not is_reporter(resident, report)):
                return proven
    return resident or PUBLIC


@dataclass(frozen=True)
class ReporterView:
    actions: ReporterActions
    contact: ContactOut | None
    signed_in: bool


async def reporter_view(
    session: AsyncSession, settings: Settings, principal: Principal, code: str, locale: str
) -> ReporterView | None:
    """What only the report's own reporter sees and can do on its tracking page; None for others."""
    if principal is PUBLIC:
        return None
    report = await reports.get_by_code(session, code)
    if not is_reporter(principal, report):
        return None
    out = await reports.report_out(session, principal, report, locale)
    return ReporterView(actions_for(report, settings), out.contact, principal.role != PROVEN_REPORTER)
