"""The monthly report as files to download: XLSX (openpyxl) and PDF (fpdf2, with DejaVu Sans
embedded for the Vietnamese letters; fonts/LICENSE says where it comes from)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from congdan.kit.i18n import _, translate
from congdan.performance.schemas import AgencyMonthOut, MonthlyReportOut
from congdan.performance.service import LOCAL
from congdan.reports.states import label

FONTS = Path(__file__).parent / "fonts"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"

COLUMNS = (
    _("Hạng"),
    _("Đơn vị"),
    _("Tiếp nhận"),
    _("Đã giải quyết"),
    _("Đúng hạn"),
    _("Trễ hạn"),
    _("Tỉ lệ đúng hạn"),
    _("Trả lời đầu tiên (giờ, trung vị)"),
    _("Giải quyết (giờ, trung vị)"),
    _("Hài lòng (trung bình)"),
    _("Lượt đánh giá"),
    _("Tỉ lệ mở lại"),
)
LATE_COLUMNS = (
    _("Đơn vị"),
    _("Mã phản ánh"),
    _("Trạng thái"),
    _("Hạn"),
    _("Giải quyết"),
    _("Ngày làm việc trễ"),
)


def _local(value: datetime | None) -> str:
    return value.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M") if value else ""


def _percent(value: float | None) -> str:
    return f"{value * 100:.1f} %" if value is not None else ""


def _number(value: float | None) -> str:
    return f"{value:g}" if value is not None else ""


def title(report: MonthlyReportOut, locale: str) -> str:
    p = report.period
    return translate(
        _("Báo cáo tháng %(month)s: từ %(start)s đến %(end)s"),
        locale,
        month=p.month,
        start=_local(p.start),
        end=_local(p.end),
    )


def _row(a: AgencyMonthOut) -> list[str | int | float | None]:
    return [
        a.rank,
        a.agency_name,
        a.received,
        a.handled,
        a.on_time,
        a.late,
        a.on_time_rate,
        a.median_first_reply_hours,
        a.median_resolution_hours,
        a.rating_mean,
        a.rating_count,
        a.reopen_rate,
    ]


def _late_rows(report: MonthlyReportOut, locale: str) -> list[list[str | int]]:
    return [
        [
            a.agency_name,
            r.tracking_code,
            translate(label(r.status), locale),
            _local(r.due_at),
            _local(r.resolved_at),
            r.working_days_late,
        ]
        for a in report.agencies
        for r in a.late_reports or []
    ]


# The PDF and spreadsheet libraries are imported when a download is asked for: loaded with the app
# they would add about 100 MB to every server process for a page a few people open once a month.


def to_xlsx(report: MonthlyReportOut, locale: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = translate(_("Xếp hạng"), locale)
    sheet.append([title(report, locale)])
    sheet.append([report.ranking_rule])
    sheet.append([translate(c, locale) for c in COLUMNS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for agency in report.agencies:
        sheet.append(_row(agency))
    late = book.create_sheet(translate(_("Trễ hạn"), locale))
    late.append([translate(c, locale) for c in LATE_COLUMNS])
    for cell in late[1]:
        cell.font = Font(bold=True)
    for row in _late_rows(report, locale):
        late.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(report: MonthlyReportOut, locale: str) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(title(report, locale))
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, title(report, locale), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, report.ranking_rule, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 7)
    heading = FontFace(emphasis="BOLD")
    widths = (12, 60, 18, 20, 18, 18, 22, 30, 28, 24, 20, 20)
    with pdf.table(col_widths=widths, headings_style=heading, line_height=4) as table:
        table.row([translate(c, locale) for c in COLUMNS])
        for a in report.agencies:
            cells = _row(a)
            cells[6], cells[11] = _percent(a.on_time_rate), _percent(a.reopen_rate)
            cells[7], cells[8], cells[9] = (
                _number(a.median_first_reply_hours),
                _number(a.median_resolution_hours),
                _number(a.rating_mean),
            )
            table.row(["" if c is None else str(c) for c in cells])
    rows = _late_rows(report, locale)
    if rows:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, translate(_("Phản ánh trễ hạn"), locale), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=(70, 30, 30, 35, 35, 25), headings_style=heading, line_height=5) as table:
            table.row([translate(c, locale) for c in LATE_COLUMNS])
            for row in rows:
                table.row([str(c) for c in row])
    return bytes(pdf.output())
