"""The agencies' workbench at /staff/: sign-in, the queue, triage and the deadline board, a
report's page and its actions, the monthly report, the staff member's own account, administration."""

from __future__ import annotations

from fastapi import APIRouter

from congdan.web.staff.account import router as account_router
from congdan.web.staff.monthly import router as monthly_router
from congdan.web.staff.queue import router as queue_router
from congdan.web.staff.report import router as report_router
from congdan.web.staff.report_actions import router as report_actions_router
from congdan.web.staff.signin import router as signin_router
from congdan.web.staff.triage import router as triage_router

router = APIRouter(include_in_schema=False)
router.include_router(signin_router)
router.include_router(account_router)
router.include_router(queue_router)
router.include_router(triage_router)
router.include_router(monthly_router)
router.include_router(report_router)
router.include_router(report_actions_router)
