"""The agencies' workbench at /staff/: sign-in, the staff member's own account, administration."""

from __future__ import annotations

from fastapi import APIRouter

from congdan.web.staff.account import router as account_router
from congdan.web.staff.signin import router as signin_router

router = APIRouter(include_in_schema=False)
router.include_router(signin_router)
router.include_router(account_router)
