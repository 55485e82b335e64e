"""City-level agencies seeded on a new installation. Administrators edit them afterwards."""

from __future__ import annotations

# code, Vietnamese name, English name, kind, email, phone (None until an administrator fills it in)
CITY_AGENCIES: list[tuple[str, str, str, str, str | None, str | None]] = [
    (
        "so_xay_dung",
        "Sở Xây dựng TP.HCM",
        "Department of Construction",
        "department",
        "sxd@tphcm.gov.vn",
        "028 3932 0090",
    ),
    (
        "so_nong_nghiep_moi_truong",
        "Sở Nông nghiệp và Môi trường TP.HCM",
        "Department of Agriculture and Environment",
        "department",
        "snnmt@tphcm.gov.vn",
        "028 3829 3301",
    ),
    ("so_y_te", "Sở Y tế TP.HCM", "Department of Health", "department", "syt@tphcm.gov.vn", "028 3930 9912"),
    (
        "so_cong_thuong",
        "Sở Công Thương TP.HCM",
        "Department of Industry and Trade",
        "department",
        "sct@tphcm.gov.vn",
        "028 3829 6217",
    ),
    (
        "so_van_hoa_the_thao",
        "Sở Văn hóa và Thể thao TP.HCM",
        "Department of Culture and Sports",
        "department",
        "svhtt@tphcm.gov.vn",
        "028 3829 5587",
    ),
    (
        "so_noi_vu",
        "Sở Nội vụ TP.HCM",
        "Department of Home Affairs",
        "department",
        "snv@tphcm.gov.vn",
        "028 3829 6335",
    ),
    (
        "so_khoa_hoc_cong_nghe",
        "Sở Khoa học và Công nghệ TP.HCM",
        "Department of Science and Technology",
        "department",
        "skhcn@tphcm.gov.vn",
        None,
    ),
    (
        "giao_thong_cong_cong",
        "Trung tâm Quản lý giao thông công cộng TP.HCM",
        "Public Transport Management Centre",
        "department",
        "ttqlgtcc@tphcm.gov.vn",
        None,
    ),
    (
        "ban_an_toan_thuc_pham",
        "Ban Quản lý An toàn thực phẩm TP.HCM",
        "Food Safety Management Board",
        "department",
        "bqlattp@tphcm.gov.vn",
        "028 3930 1290",
    ),
    ("cong_an_tphcm", "Công an TP.HCM", "Ho Chi Minh City Police", "police", "congan@tphcm.gov.vn", "113"),
    (
        "sawaco",
        "Tổng Công ty Cấp nước Sài Gòn (SAWACO)",
        "Saigon Water Corporation (SAWACO)",
        "company",
        "cskh@sawaco.com.vn",
        "1900 6489",
    ),
    (
        "evnhcmc",
        "Tổng Công ty Điện lực TP.HCM (EVNHCMC)",
        "Ho Chi Minh City Power Corporation (EVNHCMC)",
        "company",
        "cskh@hcmpc.com.vn",
        "1900 545454",
    ),
    (
        "cong_vien_cay_xanh",
        "Công ty TNHH MTV Dịch vụ Công ích Công viên Cây xanh TP.HCM",
        "Parks and Trees Company",
        "company",
        "cvcx@tphcm.gov.vn",
        "028 3829 4157",
    ),
    (
        "moi_truong_do_thi",
        "Công ty TNHH MTV Môi trường Đô thị TP.HCM (CITENCO)",
        "Urban Environment Company (CITENCO)",
        "company",
        "citenco@tphcm.gov.vn",
        "028 3835 5990",
    ),
    (
        "thoat_nuoc_do_thi",
        "Công ty TNHH MTV Thoát nước Đô thị TP.HCM",
        "Urban Drainage Company",
        "company",
        "udc@tphcm.gov.vn",
        "028 3925 3250",
    ),
    (
        "chieu_sang_cong_cong",
        "Công ty TNHH MTV Chiếu sáng Công cộng TP.HCM",
        "Public Lighting Company",
        "company",
        "sapulico@tphcm.gov.vn",
        "028 3829 1116",
    ),
]


def committee_code(area_code: str) -> str:
    return f"ubnd_{area_code}"


def committee_name(area_name: str) -> tuple[str, str]:
    return f"Ủy ban nhân dân {area_name}", f"People's Committee of {area_name}"
