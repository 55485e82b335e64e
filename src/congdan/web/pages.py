"""The public home page. Full resident and staff pages arrive with their issues."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from congdan.authz.policy import PUBLIC
from congdan.deps import LocaleDep, SessionDep
from congdan.reports import present, repository
from congdan.reports.schemas import ReportFilters
from congdan.web.templating import templates

router = APIRouter(include_in_schema=False)

TEXT = {
    "vi": {
        "title": "Công dân số",
        "tagline": "Phản ánh, góp ý với chính quyền thành phố — và theo dõi đến khi có kết quả.",
        "recent": "Phản ánh gần đây",
        "none": "Chưa có phản ánh công khai nào.",
        "api": "Tài liệu API",
        "status": {
            "submitted": "Đã gửi",
            "triage": "Đang phân loại",
            "assigned": "Đã chuyển cơ quan",
            "in_progress": "Đang xử lý",
            "transferred": "Đang chuyển cơ quan",
            "resolved": "Đã giải quyết",
            "reopened": "Mở lại",
            "closed": "Đã đóng",
            "rejected": "Không tiếp nhận",
            "duplicate": "Trùng lặp",
        },
    },
    "en": {
        "title": "Công dân số (Digital Citizen)",
        "tagline": "Report problems and make suggestions to the city — and follow them to the end.",
        "recent": "Recent reports",
        "none": "No public reports yet.",
        "api": "API documentation",
        "status": {
            "submitted": "Submitted",
            "triage": "Being sorted",
            "assigned": "Sent to an agency",
            "in_progress": "In progress",
            "transferred": "Being transferred",
            "resolved": "Resolved",
            "reopened": "Reopened",
            "closed": "Closed",
            "rejected": "Not accepted",
            "duplicate": "Duplicate",
        },
    },
}


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: SessionDep, locale: LocaleDep) -> HTMLResponse:
    rows = await repository.search(session, PUBLIC, ReportFilters(), after=None, limit=10)
    reports = await present.reports_out(session, PUBLIC, rows, locale)
    return templates.TemplateResponse(
        request, "home.html", {"t": TEXT[locale], "locale": locale, "reports": reports}
    )
