"""The topics residents can follow. Codes are fixed; names are shown in the reader's language."""

from __future__ import annotations

from congdan.kit.i18n import _, translate

TOPICS: dict[str, str] = {
    "traffic": _("Giao thông"),
    "environment": _("Môi trường"),
    "water_power": _("Điện, nước"),
    "health": _("Y tế"),
    "education": _("Giáo dục"),
    "public_services": _("Thủ tục hành chính"),
    "culture_events": _("Văn hóa, lễ hội"),
    "public_order": _("An ninh trật tự"),
    "weather_disaster": _("Thời tiết, thiên tai"),
}

ALERT_TYPES: dict[str, str] = {
    "flood_tide": _("Triều cường, ngập"),
    "storm": _("Bão, áp thấp"),
    "water_cut": _("Cắt nước"),
    "power_cut": _("Cắt điện"),
    "road_closure": _("Cấm đường"),
    "other": _("Khẩn cấp khác"),
}


def name(table: dict[str, str], code: str | None, locale: str) -> str | None:
    if code is None or code not in table:
        return None
    return translate(table[code], locale)
