"""The procedures residents ask for most, seeded on a new installation; administrators edit them
afterwards (each edit a new version). Texts are summaries for residents, not the legal text."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as default

from congdan.kit.i18n import _

FIELDS: dict[str, str] = {
    "ho_tich": _("Hộ tịch"),
    "cu_tru": _("Cư trú"),
    "chung_thuc": _("Chứng thực"),
    "kinh_doanh": _("Đăng ký kinh doanh"),
    "xay_dung": _("Xây dựng"),
    "dat_dai": _("Đất đai"),
    "bao_hiem": _("Bảo hiểm xã hội, bảo hiểm y tế"),
}

LIFE_EVENTS: dict[str, str] = {
    "co_em_be": _("Có em bé"),
    "ket_hon": _("Kết hôn"),
    "xay_nha": _("Xây nhà"),
    "mo_quan": _("Mở quán"),
    "chuyen_noi_o": _("Chuyển nơi ở"),
    "nguoi_than_qua_doi": _("Người thân qua đời"),
    "mua_ban_nha_dat": _("Mua bán nhà đất"),
}

ONLINE_MODES = ("full", "partial", "in_person")
LEVELS = ("ward", "city")

WARD_COMMITTEE = "Ủy ban nhân dân phường, xã nơi cư trú"
WARD_POLICE = "Công an phường, xã nơi cư trú"
LAND_OFFICE = "Văn phòng đăng ký đất đai (chi nhánh nơi có đất)"
SOCIAL_INSURANCE = "Bảo hiểm xã hội nơi cư trú hoặc nơi làm việc"

SUBMIT = "Nộp hồ sơ trực tuyến trên Cổng Dịch vụ công hoặc tại bộ phận một cửa"
CHECK = "Cán bộ kiểm tra hồ sơ; nếu thiếu sẽ hướng dẫn bổ sung một lần"
RESULT = "Nhận kết quả tại nơi nộp, qua bưu điện hoặc bản điện tử"


@dataclass(frozen=True)
class Document:
    name: str
    copies: int = 1
    note: str = ""
    template: str | None = None  # a blank form under catalogue/templates/


@dataclass(frozen=True)
class SeedProcedure:
    code: str
    name: str
    field: str
    level: str
    online_mode: str
    processing_days: int
    fee_text: str
    fee_vnd: int | None
    legal_basis: list[str]
    documents: list[Document]
    life_events: list[str] = default(default_factory=list)
    keywords: list[str] = default(default_factory=list)
    steps: list[str] = default(default_factory=lambda: [SUBMIT, CHECK, RESULT])
    handled_by: str = WARD_COMMITTEE
    agency_code: str | None = None


ID_PAPERS = Document("Giấy tờ tùy thân có ảnh (căn cước, hộ chiếu)", note="Xuất trình bản chính")
CIVIL_STATUS_LAW = ["Luật Hộ tịch 2014", "Nghị định 123/2015/NĐ-CP", "Thông tư 04/2020/TT-BTP"]
RESIDENCE_LAW = ["Luật Cư trú 2020", "Nghị định 154/2024/NĐ-CP", "Thông tư 55/2021/TT-BCA"]
CERTIFICATION_LAW = ["Nghị định 23/2015/NĐ-CP", "Thông tư 01/2020/TT-BTP", "Thông tư 226/2016/TT-BTC"]
LAND_LAW = ["Luật Đất đai 2024", "Nghị định 101/2024/NĐ-CP"]
INSURANCE_LAW = ["Luật Bảo hiểm xã hội 2024", "Luật Bảo hiểm y tế 2008 (sửa đổi 2014)"]
RESIDENCE_FORM = Document("Tờ khai thay đổi thông tin cư trú (mẫu CT01)", template="to-khai-cu-tru-ct01.pdf")
