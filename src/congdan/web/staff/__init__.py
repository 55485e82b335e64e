"""The agencies' workbench at /staff/: sign-in, the queue, triage and the deadline board, a
report's page and its actions, the monthly report, the staff member's own account, administration."""

from __future__ import annotations

from fastapi import APIRouter

from congdan.web.staff.account import router as account_router
from congdan.web.staff.admin import router as admin_router
from congdan.web.staff.admin_agencies import router as admin_agencies_router
from congdan.web.staff.admin_categories import router as admin_categories_router
from congdan.web.staff.admin_classifier import router as admin_classifier_router
from congdan.web.staff.admin_procedures import router as admin_procedures_router
from congdan.web.staff.admin_reasons import router as admin_reasons_router
from congdan.web.staff.admin_replies import router as admin_replies_router
from congdan.web.staff.admin_routing import router as admin_routing_router
from congdan.web.staff.admin_staff import router as admin_staff_router
from congdan.web.staff.admin_units import router as admin_units_router
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
router.include_router(admin_router)
router.include_router(admin_procedures_router)
router.include_router(admin_replies_router)
router.include_router(admin_reasons_router)
router.include_router(admin_categories_router)
router.include_router(admin_staff_router)
router.include_router(admin_agencies_router)
router.include_router(admin_routing_router)
router.include_router(admin_classifier_router)
router.include_router(admin_units_router)
