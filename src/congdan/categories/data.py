"""The fixed category codes of DESIGN.md and their defaults. Administrators edit the defaults later."""

from __future__ import annotations

from dataclasses import dataclass

OTHER = "other"


@dataclass(frozen=True)
class CategorySeed:
    code: str
    name_vi: str
    name_en: str
    level: str  # "ward": the unit's People's Committee acts; "city": a department or company
    deadline_days: int
    duplicate_radius_m: int
    default_agency: str | None


CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed(
        "road_damage",
        "Hư hỏng mặt đường, ổ gà, sụp lún",
        "Road damage, potholes",
        "city",
        5,
        50,
        "so_xay_dung",
    ),
    CategorySeed(
        "traffic_signal",
        "Đèn tín hiệu, biển báo, vạch sơn",
        "Traffic lights, signs, markings",
        "city",
        3,
        50,
        "so_xay_dung",
    ),
    CategorySeed(
        "traffic_congestion",
        "Ùn tắc, dừng đỗ sai quy định",
        "Congestion, illegal parking",
        "city",
        1,
        300,
        "cong_an_tphcm",
    ),
    CategorySeed(
        "street_lighting", "Chiếu sáng công cộng", "Street lighting", "city", 3, 50, "chieu_sang_cong_cong"
    ),
    CategorySeed(
        "flooding_drainage",
        "Ngập nước, cống, nắp hố ga",
        "Flooding, drains, manholes",
        "city",
        3,
        200,
        "thoat_nuoc_do_thi",
    ),
    CategorySeed("water_supply", "Cấp nước", "Water supply", "city", 2, 300, "sawaco"),
    CategorySeed("garbage", "Rác thải, vệ sinh đô thị", "Rubbish, street cleaning", "ward", 3, 50, None),
    CategorySeed(
        "pollution",
        "Ô nhiễm không khí, nước, mùi",
        "Air, water, odour pollution",
        "city",
        5,
        500,
        "so_nong_nghiep_moi_truong",
    ),
    CategorySeed("noise", "Tiếng ồn", "Noise", "ward", 2, 150, None),
    CategorySeed(
        "sidewalk_encroachment",
        "Lấn chiếm vỉa hè, lòng đường",
        "Pavement and road encroachment",
        "ward",
        5,
        50,
        None,
    ),
    CategorySeed(
        "illegal_construction", "Xây dựng sai phép, không phép", "Illegal construction", "ward", 5, 30, None
    ),
    CategorySeed("trees", "Cây xanh", "Trees", "city", 3, 30, "cong_vien_cay_xanh"),
    CategorySeed(
        "public_order", "An ninh trật tự", "Public order and safety", "city", 2, 200, "cong_an_tphcm"
    ),
    CategorySeed(
        "food_safety_health",
        "An toàn thực phẩm, y tế",
        "Food safety and health",
        "city",
        5,
        100,
        "ban_an_toan_thuc_pham",
    ),
    CategorySeed(
        "administrative_services",
        "Thủ tục hành chính, thái độ phục vụ",
        "Administrative services",
        "ward",
        5,
        0,
        None,
    ),
    CategorySeed(
        "electricity",
        "Điện: mất điện, dây điện, trụ điện",
        "Electricity: power cuts, power lines, poles",
        "city",
        2,
        300,
        "evnhcmc",
    ),
    CategorySeed(
        "public_transport",
        "Xe buýt, buýt đường sông, metro",
        "Buses, river buses, metro",
        "city",
        5,
        200,
        "giao_thong_cong_cong",
    ),
    CategorySeed(
        "telecom",
        "Cáp viễn thông, cột cáp",
        "Telecom cables and poles",
        "city",
        5,
        50,
        "so_khoa_hoc_cong_nghe",
    ),
    # What fits no other category; it never has a routing rule, so a coordinator always sorts it.
    CategorySeed(OTHER, "Khác", "Other", "city", 5, 100, None),
)

CATEGORY_CODES = tuple(c.code for c in CATEGORIES)
