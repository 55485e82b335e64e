"""What every workbench page shares: the signed-in staff member, the layout, the language.

`StaffPageDep` is the dependency for a workbench page. It yields the signed-in staff member's
`Principal` (pass it to the services as with the JSON API), or, when the browser has no live
staff session, answers for the page: a plain request is sent to the sign-in page with a 303
(`/staff/?next=<this page>`), an HTMX request gets 401 with `HX-Redirect` so that HTMX loads the
sign-in page instead of swapping a fragment in. Render with `render(request, template, context)`,
which adds what the staff layout (`staff/base.html`) needs. Forms post with `{{ csrf_field() }}`.

    @router.get("/staff/hang-doi")
    async def queue(request: Request, session: SessionDep, staff: StaffPageDep) -> Response:
        ...
        return await render(request, session, "staff/queue.html", {"items": items})
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.auth.sessions import Current
from congdan.authz.policy import ADMIN, AGENCY_MANAGER, Principal
from congdan.deps import staff_session_of
from congdan.kit.errors import AppError
from congdan.kit.i18n import _
from congdan.web import rendering
from congdan.web.rendering import page_locale

HOME = "/staff/"
PASSWORD_PAGE = "/staff/tai-khoan/mat-khau"  # noqa: S105 - a page's address, not a password
# What a session whose password was reset may still reach.
NOT_BEFORE_NEW_PASSWORD = frozenset({PASSWORD_PAGE, "/staff/dang-xuat"})
ROLE_LABELS = {
    "coordinator": _("Điều phối viên"),
    "agency_manager": _("Lãnh đạo cơ quan"),
    "agency_officer": _("Cán bộ xử lý"),
    "admin": _("Quản trị viên"),
}


class SignInFirst(AppError):
    """Not signed in on a workbench page: to the sign-in page, and back here afterwards."""

    status = 303
    slug = "sign-in"
    title = _("Cần đăng nhập")


class SignInFirstHtmx(AppError):
    status = 401
    slug = "unauthorized"
    title = _("Cần đăng nhập")


class ChoosePasswordFirst(AppError):
    """A password an administrator reset: nothing else until its owner has chosen a new one."""

    status = 303
    slug = "password-change-required"
    title = _("Cần chọn mật khẩu mới")


class ChoosePasswordFirstHtmx(ChoosePasswordFirst):
    status = 401


def safe_next(raw: str | None) -> str:
    """A page of this site to go to after signing in; anything else goes home."""
    if (
        raw
        and raw.startswith("/staff")
        and not raw.startswith("//")
        and "\\" not in raw
        and raw.isprintable()
    ):
        return raw
    return HOME


async def staff_page(request: Request) -> Principal:
    found = await staff_session_of(request)
    if found is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = f"{HOME}?next={quote(here, safe='/')}"
        if request.headers.get("hx-request"):
            raise SignInFirstHtmx(headers={"HX-Redirect": target})
        raise SignInFirst(headers={"Location": target})
    request.state.staff = found
    if found.account.must_change_password and request.url.path not in NOT_BEFORE_NEW_PASSWORD:
        _choose_password_first(request)
    return found.principal


def _choose_password_first(request: Request) -> None:
    if request.headers.get("hx-request"):
        raise ChoosePasswordFirstHtmx(headers={"HX-Redirect": PASSWORD_PAGE})
    raise ChoosePasswordFirst(headers={"Location": PASSWORD_PAGE})


StaffPageDep = Annotated[Principal, Depends(staff_page)]


def locale_of(request: Request) -> str:
    lang = request.query_params.get("lang")
    return page_locale(request, lang, request.headers.get("accept-language"))


def _switch(request: Request, locale: str) -> str:
    other = "en" if locale == "vi" else "vi"
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", other)]
    return request.url.path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query)


async def render(
    request: Request,
    session: AsyncSession,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    """A workbench page in the staff layout, in the page's language (?lang= is remembered); an
    HTMX request gets the template's `main` block only."""
    locale = locale_of(request)
    current: Current | None = getattr(request.state, "staff", None)
    agency = None
    if current is not None and current.account.agency_code:
        found = await agencies_repo.get_agency(session, current.account.agency_code)
        if found is not None:
            agency = found.name_en if locale == "en" else found.name
    full = {
        "other": "en" if locale == "vi" else "vi",
        "switch_url": _switch(request, locale),
        "me": current.account if current is not None else None,
        "role_label": ROLE_LABELS.get(current.account.role) if current is not None else None,
        "is_admin": current is not None and current.account.role == ADMIN,
        "manages_templates": current is not None and current.account.role == AGENCY_MANAGER,
        "agency_name": agency,
        **context,
    }
    lang = request.query_params.get("lang")
    return rendering.render(request, template, full, locale=locale, lang=lang, status_code=status_code)


def moved(router: APIRouter, old: str, new: str) -> None:
    """Answer a page's former address with a permanent redirect to its new one, query kept: bookmarks
    and links in old e-mails still work, and 308 keeps the method."""

    async def former(request: Request) -> Response:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(new + query, status_code=308)

    router.add_api_route(old, former, methods=["GET"], include_in_schema=False)
