"""The topics residents can follow. Codes are fixed; names are shown in the reader's language."""

from __future__ import annotations

TOPICS: dict[str, tuple[str, str]] = {
    "traffic": ("Giao thông", "Traffic"),
    "environment": ("Môi trường", "Environment"),
    "water_power": ("Điện, nước", "Water and power"),
    "health": ("Y tế", "Health"),
    "education": ("Giáo dục", "Education"),
    "public_services": ("Thủ tục hành chính", "Public services"),
    "culture_events": ("Văn hóa, lễ hội", "Culture and events"),
    "public_order": ("An ninh trật tự", "Public order"),
    "weather_disaster": ("Thời tiết, thiên tai", "Weather and disasters"),
}

ALERT_TYPES: dict[str, tuple[str, str]] = {
    "flood_tide": ("Triều cường, ngập", "Flood tide"),
    "storm": ("Bão, áp thấp", "Storm"),
    "water_cut": ("Cắt nước", "Water cut"),
    "power_cut": ("Cắt điện", "Power cut"),
    "road_closure": ("Cấm đường", "Road closure"),
    "other": ("Khẩn cấp khác", "Other emergency"),
}


def name(table: dict[str, tuple[str, str]], code: str | None, locale: str) -> str | None:
    if code is None or code not in table:
        return None
    vi, en = table[code]
    return en if locale == "en" else vi
