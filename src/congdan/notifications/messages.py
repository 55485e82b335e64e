"""The messages, in Vietnamese (the catalogue translates them), and rendering for each channel.

Staff kinds are raised by the deadline sweeps of the workbench through the events in STAFF_EVENTS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment

from congdan.kit.dates import CITY_TZ
from congdan.kit.i18n import _, translate
from congdan.reports import events

LOCAL_TZ = CITY_TZ


@dataclass(frozen=True)
class Template:
    subject: str
    body: str


_UPDATE = _("Cập nhật phản ánh %(code)s")

TEMPLATES: dict[str, Template] = {
    # Residents: the reporter, followers, and anonymous reporters who left a phone or email.
    "received": Template(
        _("Đã nhận phản ánh %(code)s"),
        _("Cảm ơn bạn. Mã theo dõi: %(code)s. Chúng tôi sẽ báo khi có kết quả."),
    ),
    "assigned": Template(_UPDATE, _("Phản ánh %(code)s đã được chuyển đến cơ quan xử lý.")),
    "progress": Template(_UPDATE, _("Phản ánh %(code)s đang được xử lý.")),
    "progress_posted": Template(
        _("Tiến độ xử lý phản ánh %(code)s"),
        _("Cơ quan xử lý đã cập nhật tiến độ phản ánh %(code)s: %(note)s"),
    ),
    "replied": Template(
        _("Có trả lời cho phản ánh %(code)s"), _("Cơ quan xử lý đã trả lời phản ánh %(code)s.")
    ),
    "info_requested": Template(
        _("Cần bổ sung thông tin cho phản ánh %(code)s"),
        _("Cơ quan xử lý cần thêm thông tin về phản ánh %(code)s: %(note)s"),
    ),
    "resolved": Template(_UPDATE, _("Phản ánh %(code)s đã được giải quyết. Hãy xem kết quả và đánh giá.")),
    "reopened": Template(_UPDATE, _("Phản ánh %(code)s đã được mở lại.")),
    "transferred": Template(_UPDATE, _("Phản ánh %(code)s đang được chuyển sang cơ quan phù hợp hơn.")),
    "closed": Template(_UPDATE, _("Phản ánh %(code)s đã kết thúc.")),
    "rejected": Template(_UPDATE, _("Phản ánh %(code)s không được tiếp nhận. Xem lý do trong ứng dụng.")),
    "duplicate": Template(
        _UPDATE,
        _("Phản ánh %(code)s trùng với một phản ánh đang được xử lý; bạn sẽ được cập nhật theo phản ánh đó."),
    ),
    "merged": Template(
        _UPDATE,
        _("Phản ánh %(code)s đã được gộp với một phản ánh khác về cùng sự việc đang được xử lý."),
    ),
    "sign_in_code": Template(
        _("Mã đăng nhập Công dân số"),
        _("Mã đăng nhập Công dân số: %(code)s (hiệu lực %(minutes)s phút). Không chia sẻ mã này."),
    ),
    "report_proof_code": Template(
        _("Mã xác thực phản ánh %(report)s"),
        _(
            "Mã xác thực phản ánh %(report)s: %(code)s (hiệu lực %(minutes)s phút). "
            "Không chia sẻ mã này với ai, kể cả cán bộ."
        ),
    ),
    # Announcements and emergency alerts: the agency's own words.
    "announcement": Template(_("Thông báo mới: %(title)s"), _("%(title)s\n\n%(body)s")),
    "emergency_alert": Template(_("Cảnh báo khẩn cấp: %(title)s"), _("[Cảnh báo khẩn] %(title)s. %(body)s")),
    # Staff.
    "staff_assigned": Template(
        _("Phản ánh mới %(code)s giao cho đơn vị"),
        _("Phản ánh %(code)s vừa được giao cho đơn vị của bạn. Hạn xử lý: %(due)s."),
    ),
    "staff_due_soon": Template(
        _("Phản ánh %(code)s sắp đến hạn"),
        _("Phản ánh %(code)s sẽ đến hạn xử lý trong vòng 24 giờ (%(due)s)."),
    ),
    "staff_overdue": Template(
        _("Phản ánh %(code)s đã quá hạn"),
        _("Phản ánh %(code)s đã quá hạn xử lý (%(due)s). Hãy cập nhật tiến độ kèm ảnh và ngày hoàn thành."),
    ),
    "staff_escalated": Template(
        _("Phản ánh %(code)s được chuyển lên cấp trên"),
        _("Phản ánh %(code)s đã được chuyển lên lãnh đạo xem xét: %(note)s"),
    ),
}

# Events the workbench's deadline sweeps will emit, and the message each sends.
STAFF_EVENTS = {
    events.DUE_SOON: "staff_due_soon",
    events.OVERDUE: "staff_overdue",
    events.ESCALATED: "staff_escalated",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _env() -> Environment:
    # The one template environment of the project (autoescaping everywhere); emails live in
    # web/templates/notifications beside the pages.
    from congdan.templating import templates

    return templates.env


def local_time(value: datetime | None, locale: str) -> str:
    if value is None:
        return translate(_("chưa có"), locale)
    return value.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")


def render(
    kind: str,
    locale: str,
    params: dict[str, object],
    *,
    url: str | None = None,
    unsubscribe_url: str | None = None,
) -> Rendered:
    template = TEMPLATES[kind]
    filled = {"note": "", "due": "", "minutes": "", **params}
    subject = translate(template.subject, locale, **filled)
    body = translate(template.body, locale, **filled)
    text = body
    if url:
        text += "\n\n" + translate(_("Xem chi tiết: %(url)s"), locale, url=url)
    if unsubscribe_url:
        text += "\n\n" + translate(_("Không muốn nhận thư này nữa? %(url)s"), locale, url=unsubscribe_url)
    html = (
        _env()
        .get_template("notifications/email.html")
        .render(
            locale=locale,
            subject=subject,
            body=body,
            url=url,
            unsubscribe_url=unsubscribe_url,
        )
    )
    return Rendered(subject, text, html)
