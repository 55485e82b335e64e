"""Who may do what on the workbench, as one table per kind of request, every role against every
target: the pages, the downloads and the JSON reads; the report page's forms and the JSON writes;
the resident's contact. The expectations come from congdan.authz.policy, not from the handlers:

- a report's page, its events and duplicate candidates: `require_internal_access` (the handling
  agency's officers and managers, the city's coordinators and admins); a private report does not
  exist for anyone else (`require_viewable`), so its tracking code never reaches them;
- the queue: every staff member, each agency's own reports only (`queue_filter`);
- triage and the deadline board: `require_citywide`;
- the monthly report: every staff member (`require_performance_access`), the late reports of an
  agency only to its own staff and city-wide staff (`can_see_late_reports`);
- the administration pages: `require_admin`, but for the reply templates' page, which an agency's
  managers also open for their own agency's templates (`can_manage_templates`);
- internal notes and the contact: `can_see_internal` / `can_see_contact`, each view of the contact
  audited as `contact.viewed`.

A resident has no workbench session: each page sends them to sign in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.accounts.service import create_staff
from congdan.db import utcnow
from congdan.models import AuditEntry, ReportEvent
from tests.conftest import PASSWORD, Actors
from tests.staff_support import StaffLogin, csrf_of, page_sign_in
from tests.workbench_support import AGENCY, OTHER, account_id, get_report, make_report

Maker = async_sessionmaker[AsyncSession]

PHONE = "+84901234567"
EMAIL = "an.nguyen.lienhe@example.vn"
NOTE = "Ghi chú nội bộ: chủ nhà là người quen của tổ trưởng."
CONTACT = {"contact_name": "Nguyễn Văn An", "contact_phone": PHONE, "contact_email": EMAIL}

# role name in the tables → (account role, agency); None: a resident
ROLES: dict[str, tuple[str, str | None] | None] = {
    "officer": ("agency_officer", AGENCY),
    "manager": ("agency_manager", AGENCY),
    "coordinator": ("coordinator", None),
    "admin": ("admin", None),
    "stranger": ("agency_officer", OTHER),  # an officer of another agency
    "resident": None,
}
HANDLING = frozenset({"officer", "manager", "coordinator", "admin"})  # can_see_internal
STAFF = frozenset({"officer", "manager", "coordinator", "admin", "stranger"})
CITYWIDE = frozenset({"coordinator", "admin"})
ADMINS = frozenset({"admin"})
TEMPLATE_MANAGERS = frozenset({"manager", "admin"})  # can_manage_templates, for their own agency
OUTSIDERS = ("stranger", "resident")  # who may see neither A's private report, its notes nor its contact

R = "{report}"  # replaced by report A's id

# (target, who is allowed); every other role is refused.
PAGES: list[tuple[str, frozenset[str]]] = [
    ("/staff/", STAFF),
    ("/staff/triage", CITYWIDE),
    (f"/staff/reports/{R}", HANDLING),
    ("/staff/reports/monthly", STAFF),
    ("/staff/reports/monthly.xlsx", STAFF),
    ("/staff/reports/monthly.pdf", STAFF),
    ("/staff/tai-khoan", STAFF),
    ("/staff/admin/", ADMINS),
    ("/staff/admin/staff", ADMINS),
    ("/staff/admin/co-quan", ADMINS),
    (f"/staff/admin/co-quan/{AGENCY}", ADMINS),
    ("/staff/admin/linh-vuc", ADMINS),
    ("/staff/admin/linh-vuc/road_damage", ADMINS),
    ("/staff/admin/phan-luong", ADMINS),
    ("/staff/admin/mau-tra-loi", TEMPLATE_MANAGERS),
    ("/staff/admin/ly-do", ADMINS),
    ("/staff/admin/don-vi", ADMINS),
    ("/staff/admin/bo-phan-loai", ADMINS),
]
EVERYONE = frozenset(ROLES)
# (target, who is allowed when report A is private, when it is public): a public report and its
# public history may be read by anyone (`require_viewable`), its internal parts only as above.
JSON_READS: list[tuple[str, frozenset[str], frozenset[str]]] = [
    (f"/api/v1/reports/{R}", HANDLING, EVERYONE),
    (f"/api/v1/reports/{R}/events", HANDLING, EVERYONE),
    (f"/api/v1/reports/{R}/duplicate-candidates", HANDLING, HANDLING),
    ("/api/v1/staff/queue", STAFF, STAFF),
    ("/api/v1/staff/queue/map", STAFF, STAFF),
    (f"/api/v1/staff/officers?agency={AGENCY}", HANDLING, HANDLING),
    ("/api/v1/staff/triage", CITYWIDE, CITYWIDE),
    ("/api/v1/staff/deadlines", CITYWIDE, CITYWIDE),
    ("/api/v1/performance/monthly", STAFF, STAFF),
    ("/api/v1/performance/monthly.xlsx", STAFF, STAFF),
    ("/api/v1/performance/monthly.pdf", STAFF, STAFF),
]
PUBLIC_READS = (f"/api/v1/reports/{R}", f"/api/v1/reports/{R}/events")
# The report page's forms (step, fields) and the JSON writes (path, body) on report A.
FORMS: list[tuple[str, dict[str, str]]] = [
    ("ghi-chu", {"note": "Xem trộm ghi chú"}),
    ("tiep-nhan", {}),
    ("giao-viec", {"officer": "{officer}"}),
    ("tra-loi", {"message": "Trả lời trộm"}),
    ("hoi-them", {"message": "Hỏi trộm"}),
    ("tien-do", {"message": "Tiến độ trộm"}),
    ("giai-quyet", {"note": "Giải quyết trộm"}),
    ("khong-tiep-nhan", {"reason": "out_of_scope", "note": "Từ chối trộm"}),
    ("chuyen-co-quan", {"agency": OTHER, "note": "Chuyển trộm"}),
    ("trung", {"duplicate_of": "{other_report}"}),
    ("linh-vuc", {"category": "street_lighting"}),
]
JSON_WRITES: list[tuple[str, dict[str, Any]]] = [
    # Moves the status machine allows from "in progress", so only the permission can refuse them.
    (f"/api/v1/reports/{R}/transitions", {"to": "resolved", "note": "Giải quyết trộm"}),
    (f"/api/v1/reports/{R}/transitions", {"to": "transferred", "agency": OTHER, "note": "Chuyển"}),
    (f"/api/v1/reports/{R}/transitions", {"to": "duplicate", "duplicate_of": "{other_report}"}),
    (f"/api/v1/reports/{R}/notes", {"note": "Xem trộm ghi chú"}),
    (f"/api/v1/reports/{R}/replies", {"message": "Trả lời trộm"}),
    (f"/api/v1/reports/{R}/category", {"category": "street_lighting"}),
    ("/api/v1/staff/queue/accept", {"report_ids": [R]}),
    ("/api/v1/staff/queue/assign", {"report_ids": [R], "officer": "{officer}"}),
    (f"/api/v1/staff/triage/{R}/route", {"agency": OTHER}),
]


@dataclass
class World:
    """Report A of agency AGENCY (private, with a contact and an internal note), and each role
    signed in twice: on the pages (a cookie session) and on the API (bearer headers)."""

    maker: Maker
    public: bool
    report: uuid.UUID
    code: str
    other_report: uuid.UUID
    officer_id: uuid.UUID
    api: httpx.AsyncClient
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    pages: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    def fill(self, text: str) -> str:
        return (
            text.replace(R, str(self.report))
            .replace("{officer}", str(self.officer_id))
            .replace("{other_report}", str(self.other_report))
        )

    def body(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.fill(value)
        if isinstance(value, list):
            return [self.body(v) for v in value]
        if isinstance(value, dict):
            return {k: self.body(v) for k, v in value.items()}
        return value


async def _page_client(stack: AsyncExitStack, app: Any, maker: Maker, role: str, agency: str | None) -> Any:
    email = f"{role}.{uuid.uuid4().hex[:8]}@example.vn"
    async with maker() as session, session.begin():
        await create_staff(
            session, email=email, password=PASSWORD, role=role, agency_code=agency, display_name=email[:14]
        )
    transport = httpx.ASGITransport(app=app)
    client = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://test"))
    await page_sign_in(client, StaffLogin(email, PASSWORD))
    client.headers["accept"] = "text/html"
    return client


@pytest_asyncio.fixture(params=["private", "public"])
async def world(
    request: pytest.FixtureRequest, app: Any, maker: Maker, client: httpx.AsyncClient, actors: Actors
) -> AsyncIterator[World]:
    public = request.param == "public"
    report = await make_report(
        maker, is_public=public, status="in_progress", due_at=utcnow() - timedelta(days=2), **CONTACT
    )
    other_report = await make_report(maker)
    async with AsyncExitStack() as stack:
        headers: dict[str, dict[str, str]] = {}
        pages: dict[str, httpx.AsyncClient] = {}
        for name, spec in ROLES.items():
            if spec is None:
                headers[name] = await actors.resident("+84907770001")
                resident = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
                pages[name] = await stack.enter_async_context(resident)
                pages[name].headers.update({"accept": "text/html", **headers[name]})
            else:
                headers[name] = await actors.staff(*spec)
                pages[name] = await _page_client(stack, app, maker, *spec)
        r = await client.post(
            f"/api/v1/reports/{report}/notes", json={"note": NOTE}, headers=headers["officer"]
        )
        assert r.status_code == 201, r.text
        officer_id = await account_id(client, headers["officer"])
        code = (await get_report(maker, report)).tracking_code
        yield World(maker, public, report, code, other_report, officer_id, client, headers, pages)


async def _contact_views(maker: Maker, report: uuid.UUID) -> int:
    async with maker() as session:
        stmt = (
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "contact.viewed", AuditEntry.subject_id == str(report))
        )
        return int(await session.scalar(stmt) or 0)


async def _state(maker: Maker, report: uuid.UUID) -> tuple[Any, ...]:
    """What a write would change: the report's own fields and its history."""
    found = await get_report(maker, report)
    async with maker() as session:
        events = await session.scalar(
            select(func.count()).select_from(ReportEvent).where(ReportEvent.report_id == report)
        )
    return (
        found.status,
        found.agency_code,
        found.category_code,
        found.assignee_id,
        found.is_public,
        found.duplicate_of_id,
        events,
    )


def _no_leak(w: World, r: httpx.Response, where: str, *, public_read: bool = False) -> None:
    """Nothing of report A an outsider may not have: never its internal note nor its contact; its
    tracking code neither, unless the report is public and this is a read of the report itself."""
    body = r.content
    secrets = (NOTE, PHONE, EMAIL) if w.public and public_read else (w.code, NOTE, PHONE, EMAIL)
    for secret in secrets:
        assert secret.encode() not in body, f"{where}: {secret!r} leaked (status {r.status_code})"


def _refused_page(r: httpx.Response, who: str, where: str) -> None:
    if who == "resident":
        # No workbench session: the sign-in form, or a redirect to it.
        signed_out = (r.status_code == 303 and r.headers["location"].startswith("/staff/")) or (
            r.status_code == 200 and 'name="password"' in r.text
        )
        assert signed_out, f"{where}: a resident got {r.status_code}"
    else:
        assert r.status_code in (403, 404), f"{where}: {r.status_code}"


async def test_every_page_and_download_per_role(world: World, subtests: Any) -> None:
    for role, client in world.pages.items():
        for target, allowed in PAGES:
            url = world.fill(target)
            with subtests.test(role=role, target=target):
                r = await client.get(url)
                if role in allowed:
                    assert r.status_code == 200, f"{role} {url}: {r.status_code} {r.text[:300]}"
                else:
                    _refused_page(r, role, f"{role} {url}")
                if role in OUTSIDERS:
                    _no_leak(world, r, f"{role} {url}")


async def test_every_json_read_per_role(world: World, subtests: Any) -> None:
    for role, headers in world.headers.items():
        for target, private, public in JSON_READS:
            allowed = public if world.public else private
            url = world.fill(target)
            with subtests.test(role=role, target=target):
                r = await world.api.get(url, headers=headers)
                if role in allowed:
                    assert r.status_code == 200, f"{role} {url}: {r.status_code} {r.text[:300]}"
                else:
                    assert r.status_code in (401, 403, 404), f"{role} {url}: {r.status_code}"
                if role in OUTSIDERS:
                    _no_leak(world, r, f"{role} {url}", public_read=target in PUBLIC_READS)
    # The queue of an agency's staff lists its own reports; another agency's queue does not.
    mine = await world.api.get("/api/v1/staff/queue", headers=world.headers["officer"])
    assert str(world.report) in [item["id"] for item in mine.json()["items"]]
    # The late reports of the monthly report: A's overdue report to whom may see them.
    for role in HANDLING:
        monthly = await world.api.get("/api/v1/performance/monthly", headers=world.headers[role])
        assert world.code in monthly.text, role
    # The internal note: in the events of those who handle the report.
    for role in HANDLING:
        events = await world.api.get(f"/api/v1/reports/{world.report}/events", headers=world.headers[role])
        assert NOTE in events.text, role


async def test_the_forms_and_json_writes_refused_change_nothing(world: World, subtests: Any) -> None:
    before = await _state(world.maker, world.report)
    for role in OUTSIDERS:
        client = world.pages[role]
        token_page = await client.get("/staff/")
        token = csrf_of(token_page.text)
        for step, data in FORMS:
            with subtests.test(role=role, form=step):
                form = {"csrf_token": token, **world.body(data)}
                r = await client.post(f"/staff/reports/{world.report}/{step}", data=form)
                _refused_page(r, role, f"{role} {step}")
                _no_leak(world, r, f"{role} {step}")
                assert await _state(world.maker, world.report) == before, f"{role} {step} changed the report"
        for target, payload in JSON_WRITES:
            with subtests.test(role=role, write=target, body=payload):
                r = await world.api.post(
                    world.fill(target), json=world.body(payload), headers=world.headers[role]
                )
                # The queue's bulk writes refuse all or none: 409 naming each report it could not take.
                refused = (401, 403, 404, 409) if "/queue/" in target else (401, 403, 404)
                assert r.status_code in refused, f"{role} {target}: {r.status_code} {r.text[:300]}"
                _no_leak(world, r, f"{role} {target}")
                assert await _state(world.maker, world.report) == before, (
                    f"{role} {target} changed the report"
                )
    # Bulk from the queue page, and the other agency's triage route form, neither touch A's report.
    stranger = world.pages["stranger"]
    token = csrf_of((await stranger.get("/staff/")).text)
    r = await stranger.post(
        "/staff/hang-doi/hang-loat",
        data={"csrf_token": token, "report_ids": str(world.report), "action": "accept"},
    )
    assert r.status_code in (303, 403, 404, 409, 422), r.status_code
    _no_leak(world, r, "stranger bulk")
    assert await _state(world.maker, world.report) == before
    events = await world.api.get(f"/api/v1/reports/{world.report}/events", headers=world.headers["officer"])
    assert "trộm" not in events.text


async def test_the_allowed_roles_actions_work(world: World) -> None:
    report = world.report
    officer = world.pages["officer"]

    async def post(client: httpx.AsyncClient, step: str, **data: str) -> httpx.Response:
        page = await client.get(f"/staff/reports/{report}")
        assert page.status_code == 200, page.text
        return await client.post(
            f"/staff/reports/{report}/{step}", data={"csrf_token": csrf_of(page.text), **data}
        )

    r = await post(officer, "ghi-chu", note="Ghi chú của cán bộ.")
    assert r.status_code == 303 and "done=noted" in r.headers["location"], r.text
    r = await post(world.pages["manager"], "tra-loi", message="Đã cử đội kiểm tra.")
    assert r.status_code == 303 and "done=replied" in r.headers["location"], r.text
    r = await post(world.pages["admin"], "ghi-chu", note="Ghi chú của quản trị.")
    assert r.status_code == 303, r.text
    headers = world.headers
    r = await world.api.post(
        f"/api/v1/reports/{report}/notes", json={"note": "Ghi chú API."}, headers=headers["manager"]
    )
    assert r.status_code == 201, r.text
    r = await world.api.post(
        f"/api/v1/reports/{report}/replies", json={"message": "Trả lời API."}, headers=headers["officer"]
    )
    assert r.status_code == 201, r.text
    r = await world.api.post(
        f"/api/v1/reports/{report}/category",
        json={"category": "street_lighting"},
        headers=headers["coordinator"],
    )
    assert r.status_code == 200, r.text
    assert (await get_report(world.maker, report)).category_code == "street_lighting"
    r = await post(officer, "giai-quyet", note="Đã vá xong.")
    assert r.status_code == 303 and "done=resolved" in r.headers["location"], r.text
    assert (await get_report(world.maker, report)).status == "resolved"
    events = await world.api.get(f"/api/v1/reports/{report}/events", headers=headers["officer"])
    for text in (
        "Ghi chú của cán bộ.",
        "Đã cử đội kiểm tra.",
        "Ghi chú của quản trị.",
        "Ghi chú API.",
        "Trả lời API.",
    ):
        assert text in events.text, text
    # The coordinator routes, the agency's officer then accepts through the JSON API.
    second = await make_report(world.maker, status="triage", agency_code=None)
    r = await world.api.post(
        f"/api/v1/staff/triage/{second}/route", json={"agency": AGENCY}, headers=headers["coordinator"]
    )
    assert r.status_code == 200, r.text
    r = await world.api.post(
        f"/api/v1/reports/{second}/transitions", json={"to": "in_progress"}, headers=headers["officer"]
    )
    assert r.status_code == 200, r.text
    assert (await get_report(world.maker, second)).status == "in_progress"


@pytest.mark.parametrize("channel", ["page", "json"])
async def test_the_contact_only_to_whom_policy_shows_it_each_view_audited(world: World, channel: str) -> None:
    for role in ROLES:
        seen = await _contact_views(world.maker, world.report)
        if channel == "page":
            r = await world.pages[role].get(f"/staff/reports/{world.report}")
        else:
            r = await world.api.get(f"/api/v1/reports/{world.report}", headers=world.headers[role])
        after = await _contact_views(world.maker, world.report)
        if role in HANDLING:
            assert r.status_code == 200 and PHONE in r.text and EMAIL in r.text, f"{role}: {r.status_code}"
            assert after == seen + 1, f"{role}: {after - seen} audit rows for one view"
            if channel == "page":
                assert NOTE in r.text, f"{role}: the internal note is not on the page"
        else:
            _no_leak(world, r, role, public_read=channel == "json")
            assert after == seen, f"{role}: a view they never had was audited"
