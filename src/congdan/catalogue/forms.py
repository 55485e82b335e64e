"""Blank forms a resident may print and fill in by hand, drawn as PDF (fpdf2, DejaVu Sans for the
Vietnamese letters). They are built from this list when asked for, so there is no file to keep in
step with it."""

from __future__ import annotations

from congdan.performance.exports import FONTS

_PERSON = ["Họ, chữ đệm, tên", "Ngày, tháng, năm sinh", "Số định danh cá nhân", "Nơi cư trú", "Số điện thoại"]

# file name → (title, the lines to fill in)
FORMS: dict[str, tuple[str, list[str]]] = {
    "to-khai-khai-sinh.pdf": (
        "TỜ KHAI ĐĂNG KÝ KHAI SINH",
        [
            *_PERSON,
            "Quan hệ với người được khai sinh",
            "Họ tên trẻ",
            "Ngày sinh của trẻ",
            "Nơi sinh",
            "Giới tính",
        ],
    ),
    "to-khai-ket-hon.pdf": (
        "TỜ KHAI ĐĂNG KÝ KẾT HÔN",
        ["Bên nữ: họ tên, ngày sinh, số định danh", "Bên nam: họ tên, ngày sinh, số định danh", "Nơi cư trú"],
    ),
    "to-khai-khai-tu.pdf": (
        "TỜ KHAI ĐĂNG KÝ KHAI TỬ",
        [
            *_PERSON,
            "Quan hệ với người đã mất",
            "Họ tên người đã mất",
            "Ngày, giờ mất",
            "Nơi mất",
            "Nguyên nhân",
        ],
    ),
    "to-khai-cu-tru-ct01.pdf": (
        "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ",
        [*_PERSON, "Nội dung đề nghị", "Họ tên chủ hộ", "Quan hệ với chủ hộ"],
    ),
    "de-nghi-ho-kinh-doanh.pdf": (
        "GIẤY ĐỀ NGHỊ ĐĂNG KÝ HỘ KINH DOANH",
        [*_PERSON, "Tên hộ kinh doanh", "Địa điểm kinh doanh", "Ngành, nghề kinh doanh", "Vốn kinh doanh"],
    ),
    "don-giay-phep-xay-dung.pdf": (
        "ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG",
        [
            *_PERSON,
            "Địa điểm xây dựng (số nhà, thửa đất)",
            "Diện tích xây dựng",
            "Số tầng",
            "Chiều cao công trình",
        ],
    ),
}


def blank_form(name: str) -> bytes | None:
    found = FORMS.get(name)
    if found is None:
        return None
    title, lines = found
    from fpdf import FPDF  # imported on demand, not with the app: see performance/exports.py

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 11)
    for line in lines:
        pdf.cell(0, 10, f"{line}: " + "." * 60, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.cell(0, 8, "Người khai (ký, ghi rõ họ tên)", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
