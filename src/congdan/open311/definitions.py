"""What Open311 says about each category beyond its name: group, description, keywords, attributes.

Reference data like the categories themselves, so the English sits next to the Vietnamese here
rather than in the message catalogue. Category codes are the fixed ones of DESIGN.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


@dataclass(frozen=True)
class Text:
    vi: str
    en: str

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.vi


@dataclass(frozen=True)
class Value:
    key: str
    name: Text


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: Datatype
    description: Text
    required: bool = False
    datatype_description: Text | None = None
    values: tuple[Value, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(v.key for v in self.values)


@dataclass(frozen=True)
class ServiceInfo:
    group: Text
    description: Text
    keywords: Text
    attributes: tuple[Attribute, ...] = field(default=())


def _v(key: str, vi: str, en: str) -> Value:
    return Value(key, Text(vi, en))


TRAFFIC = Text("Giao thông", "Traffic and roads")
INFRASTRUCTURE = Text("Hạ tầng đô thị", "Urban infrastructure")
ENVIRONMENT = Text("Môi trường", "Environment")
ORDER = Text("Trật tự đô thị", "Urban order")
SAFETY = Text("An ninh, sức khỏe", "Safety and health")
ADMINISTRATION = Text("Hành chính", "Administration")

YES_NO = (_v("yes", "Có", "Yes"), _v("no", "Không", "No"))

SERVICES: dict[str, ServiceInfo] = {
    "road_damage": ServiceInfo(
        TRAFFIC,
        Text(
            "Ổ gà, mặt đường bong tróc, nứt, sụp lún, nắp cống cao thấp trên đường.",
            "Potholes, broken or cracked surfaces, subsidence, uneven covers on the road.",
        ),
        Text("ổ gà, sụp lún, mặt đường, hư hỏng", "pothole, subsidence, road surface, damage"),
        (
            Attribute(
                "damage_type",
                "singlevaluelist",
                Text("Loại hư hỏng", "Kind of damage"),
                values=(
                    _v("pothole", "Ổ gà", "Pothole"),
                    _v("subsidence", "Sụp lún", "Subsidence"),
                    _v("crack", "Nứt mặt đường", "Cracked surface"),
                    _v("other", "Khác", "Other"),
                ),
            ),
            Attribute(
                "pothole_size_cm",
                "number",
                Text("Đường kính ước chừng của chỗ hư hỏng (cm)", "Rough width of the damage (cm)"),
                datatype_description=Text("Số, đơn vị xentimét", "A number of centimetres"),
            ),
        ),
    ),
    "traffic_signal": ServiceInfo(
        TRAFFIC,
        Text(
            "Đèn tín hiệu giao thông hỏng, biển báo đổ, mất, vạch sơn mờ.",
            "Broken traffic lights, fallen or missing signs, faded road markings.",
        ),
        Text("đèn giao thông, biển báo, vạch sơn", "traffic light, sign, road marking"),
        (
            Attribute(
                "signal_problem",
                "singlevaluelist",
                Text("Vấn đề gặp phải", "What is wrong"),
                values=(
                    _v("light_off", "Đèn không hoạt động", "Light not working"),
                    _v("wrong_timing", "Đèn chuyển sai, quá lâu", "Wrong or too long cycle"),
                    _v("sign_missing", "Biển báo mất hoặc đổ", "Sign missing or fallen"),
                    _v("marking_faded", "Vạch sơn mờ", "Faded marking"),
                ),
            ),
        ),
    ),
    "traffic_congestion": ServiceInfo(
        TRAFFIC,
        Text(
            "Ùn tắc kéo dài, xe dừng đỗ sai quy định gây cản trở.",
            "Long traffic jams, vehicles stopped or parked where they block the way.",
        ),
        Text("kẹt xe, ùn tắc, đỗ xe sai", "traffic jam, congestion, illegal parking"),
    ),
    "street_lighting": ServiceInfo(
        INFRASTRUCTURE,
        Text(
            "Đèn đường không sáng, chập chờn, sáng ban ngày, trụ đèn nghiêng đổ.",
            "Street lights out, flickering, on in daytime, leaning or fallen poles.",
        ),
        Text("đèn đường, chiếu sáng, trụ đèn", "street light, lighting, lamp post"),
        (
            Attribute(
                "pole_number",
                "string",
                Text("Số hiệu ghi trên trụ đèn (nếu thấy)", "Number written on the pole (if visible)"),
            ),
            Attribute(
                "light_problem",
                "singlevaluelist",
                Text("Tình trạng đèn", "State of the light"),
                values=(
                    _v("off", "Không sáng", "Not lit"),
                    _v("flickering", "Chập chờn", "Flickering"),
                    _v("on_daytime", "Sáng ban ngày", "On in daytime"),
                    _v("damaged_pole", "Trụ đèn hư hỏng", "Damaged pole"),
                ),
            ),
        ),
    ),
    "flooding_drainage": ServiceInfo(
        INFRASTRUCTURE,
        Text(
            "Đường ngập sau mưa hoặc triều cường, cống nghẹt, mất nắp hố ga.",
            "Streets flooded after rain or high tide, blocked drains, missing manhole covers.",
        ),
        Text("ngập, triều cường, cống, hố ga", "flood, high tide, drain, manhole"),
        (
            Attribute(
                "flood_depth_cm",
                "number",
                Text("Độ sâu nước ngập (cm)", "Depth of the water (cm)"),
                datatype_description=Text("Số, đơn vị xentimét", "A number of centimetres"),
            ),
            Attribute(
                "drainage_problems",
                "multivaluelist",
                Text("Những gì thấy được", "What you can see"),
                values=(
                    _v("flooded_street", "Đường ngập", "Flooded street"),
                    _v("blocked_drain", "Cống nghẹt", "Blocked drain"),
                    _v("missing_cover", "Mất nắp hố ga", "Missing manhole cover"),
                    _v("bad_smell", "Nước bốc mùi", "Smelly water"),
                ),
            ),
            Attribute(
                "flood_started_at",
                "datetime",
                Text("Nước bắt đầu ngập lúc", "When the flooding began"),
                datatype_description=Text(
                    "Ngày giờ W3C có múi giờ, ví dụ 2026-06-01T17:30:00+07:00",
                    "A W3C date-time with offset, e.g. 2026-06-01T17:30:00+07:00",
                ),
            ),
        ),
    ),
    "water_supply": ServiceInfo(
        INFRASTRUCTURE,
        Text(
            "Mất nước, nước yếu, nước đục, vỡ ống cấp nước.",
            "No water, low pressure, dirty water, burst mains.",
        ),
        Text("mất nước, vỡ ống, nước đục", "no water, burst pipe, dirty water"),
    ),
    "garbage": ServiceInfo(
        ENVIRONMENT,
        Text(
            "Rác tồn đọng, đổ rác trái phép, điểm tập kết rác gây mất vệ sinh.",
            "Uncollected rubbish, fly-tipping, dirty collection points.",
        ),
        Text("rác, xà bần, vệ sinh", "rubbish, fly-tipping, cleaning"),
        (
            Attribute(
                "waste_types",
                "multivaluelist",
                Text("Loại rác", "Kind of rubbish"),
                values=(
                    _v("household", "Rác sinh hoạt", "Household rubbish"),
                    _v("construction", "Xà bần, phế thải xây dựng", "Building rubble"),
                    _v("bulky", "Đồ cồng kềnh", "Bulky items"),
                    _v("hazardous", "Chất thải nguy hại", "Hazardous waste"),
                ),
            ),
        ),
    ),
    "pollution": ServiceInfo(
        ENVIRONMENT,
        Text(
            "Khói bụi, nước thải, mùi hôi từ cơ sở sản xuất hoặc kênh rạch.",
            "Smoke, dust, waste water, smells from workshops or canals.",
        ),
        Text("ô nhiễm, khói, bụi, mùi hôi, nước thải", "pollution, smoke, dust, smell, waste water"),
    ),
    "noise": ServiceInfo(
        ENVIRONMENT,
        Text(
            "Tiếng ồn từ karaoke, loa, công trình thi công, cơ sở kinh doanh.",
            "Noise from karaoke, loudspeakers, building sites, businesses.",
        ),
        Text("tiếng ồn, karaoke, loa, thi công ban đêm", "noise, karaoke, loudspeaker, night works"),
        (
            Attribute(
                "noise_source",
                "singlevaluelist",
                Text("Nguồn gây ồn", "Source of the noise"),
                values=(
                    _v("karaoke", "Karaoke, loa kẹo kéo", "Karaoke, portable speakers"),
                    _v("construction", "Công trình thi công", "Building works"),
                    _v("business", "Cơ sở kinh doanh", "Business premises"),
                    _v("vehicles", "Xe cộ", "Vehicles"),
                    _v("other", "Khác", "Other"),
                ),
            ),
            Attribute(
                "noise_time",
                "datetime",
                Text("Thời điểm nghe thấy", "When you heard it"),
                datatype_description=Text(
                    "Ngày giờ W3C có múi giờ, ví dụ 2026-06-01T22:30:00+07:00",
                    "A W3C date-time with offset, e.g. 2026-06-01T22:30:00+07:00",
                ),
            ),
            Attribute(
                "recurring",
                "singlevaluelist",
                Text("Lặp lại nhiều ngày", "Happens on many days"),
                values=YES_NO,
            ),
        ),
    ),
    "sidewalk_encroachment": ServiceInfo(
        ORDER,
        Text(
            "Buôn bán, để xe, vật dụng chiếm vỉa hè, lòng đường.",
            "Stalls, parked vehicles or goods taking over the pavement or road.",
        ),
        Text("lấn chiếm, vỉa hè, lòng đường, buôn bán", "encroachment, pavement, street vending"),
    ),
    "illegal_construction": ServiceInfo(
        ORDER,
        Text(
            "Công trình xây dựng không phép, sai phép, lấn chiếm đất công.",
            "Building without or against a permit, or on public land.",
        ),
        Text("xây dựng trái phép, sai phép, lấn chiếm", "illegal building, permit, encroachment"),
        (
            Attribute(
                "construction_details",
                "text",
                Text(
                    "Mô tả công trình: số tầng, phần xây thêm, thời gian thi công",
                    "About the building: storeys, what was added, when the works happen",
                ),
            ),
        ),
    ),
    "trees": ServiceInfo(
        INFRASTRUCTURE,
        Text(
            "Cây ngã đổ, nghiêng, nhánh gãy, cây che đèn hoặc biển báo.",
            "Fallen or leaning trees, broken branches, trees hiding lights or signs.",
        ),
        Text("cây xanh, cây đổ, nhánh gãy", "tree, fallen tree, broken branch"),
        (
            Attribute(
                "tree_problems",
                "multivaluelist",
                Text("Tình trạng cây", "State of the tree"),
                values=(
                    _v("fallen", "Ngã đổ", "Fallen"),
                    _v("leaning", "Nghiêng, có nguy cơ đổ", "Leaning, may fall"),
                    _v("broken_branch", "Nhánh gãy", "Broken branch"),
                    _v("blocking", "Che đèn, biển báo", "Hiding lights or signs"),
                ),
            ),
        ),
    ),
    "public_order": ServiceInfo(
        SAFETY,
        Text(
            "Tụ tập gây rối, đua xe, mất trật tự nơi công cộng (không khẩn cấp; khẩn cấp gọi 113).",
            "Disturbances, street racing, disorder in public places (not emergencies: call 113).",
        ),
        Text("an ninh, trật tự, gây rối, đua xe", "public order, disturbance, street racing"),
    ),
    "food_safety_health": ServiceInfo(
        SAFETY,
        Text(
            "Cơ sở kinh doanh thực phẩm mất vệ sinh, nghi ngộ độc, vấn đề y tế công cộng.",
            "Unhygienic food businesses, suspected poisoning, public health problems.",
        ),
        Text("an toàn thực phẩm, ngộ độc, y tế", "food safety, poisoning, health"),
    ),
    "administrative_services": ServiceInfo(
        ADMINISTRATION,
        Text(
            "Thủ tục hành chính chậm trễ, phiền hà, thái độ phục vụ của cán bộ.",
            "Slow or burdensome procedures, the conduct of officials.",
        ),
        Text("thủ tục hành chính, thái độ phục vụ, cán bộ", "administrative procedure, service, officials"),
    ),
    "electricity": ServiceInfo(
        INFRASTRUCTURE,
        Text(
            "Mất điện, điện chập chờn, dây điện đứt hoặc võng thấp, trụ điện nghiêng, tủ điện hở.",
            "Power cuts, unstable supply, broken or sagging power lines, leaning poles, open boxes.",
        ),
        Text("mất điện, dây điện, trụ điện, điện lực", "power cut, power line, electricity pole"),
    ),
    "public_transport": ServiceInfo(
        TRAFFIC,
        Text(
            "Xe buýt, buýt đường sông, metro: chuyến trễ, bỏ trạm, nhà chờ hư, thái độ tài xế, nhân viên.",
            "Buses, river buses, metro: late or skipped runs, broken shelters, drivers' and staff's conduct.",
        ),
        Text("xe buýt, trạm dừng, metro, buýt đường sông", "bus, stop, metro, river bus"),
        (
            Attribute(
                "route",
                "string",
                Text("Số tuyến hoặc biển số xe (nếu biết)", "Route number or number plate (if known)"),
            ),
        ),
    ),
    "telecom": ServiceInfo(
        INFRASTRUCTURE,
        Text(
            "Cáp viễn thông chằng chịt, võng thấp, rớt xuống đường; cột cáp nghiêng, hộp cáp hở.",
            "Tangled, low-hanging or fallen telecom cables; leaning cable poles, open cable boxes.",
        ),
        Text("cáp viễn thông, cáp quang, cột cáp, dây cáp", "telecom cable, fibre, cable pole"),
    ),
    "other": ServiceInfo(
        ADMINISTRATION,
        Text("Những vấn đề khác của đô thị.", "Any other city problem."),
        Text("khác", "other"),
    ),
}

DEFAULT_INFO = ServiceInfo(ADMINISTRATION, Text("", ""), Text("", ""))

STATUS_LABELS: dict[str, Text] = {
    "submitted": Text("Đã tiếp nhận", "Received"),
    "triage": Text("Đang phân loại", "Being sorted"),
    "assigned": Text("Đã chuyển cơ quan xử lý", "Sent to the agency"),
    "in_progress": Text("Đang xử lý", "In progress"),
    "transferred": Text("Đang chuyển cơ quan khác", "Being passed to another agency"),
    "resolved": Text("Đã giải quyết", "Resolved"),
    "reopened": Text("Mở lại", "Reopened"),
    "closed": Text("Đã đóng", "Closed"),
    "rejected": Text("Không tiếp nhận", "Not accepted"),
    "duplicate": Text("Trùng phản ánh khác", "Duplicate"),
}


def info_for(code: str) -> ServiceInfo:
    return SERVICES.get(code, DEFAULT_INFO)
