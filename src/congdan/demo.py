"""The demo data set: staff accounts, a resident, and reports at every stage, made through the services."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.accounts import service as accounts
from congdan.areas.service import load_index
from congdan.authz.policy import Principal
from congdan.config import Settings
from congdan.db import make_engine, make_sessionmaker
from congdan.models import Account
from congdan.reports import lifecycle, submission
from congdan.reports.context import Context
from congdan.reports.schemas import ReportCreate, TransitionIn
from congdan.reports.states import Status
from congdan.seed import DemoAccount, is_demo_seeded
from congdan.shared.schemas import Location
from congdan.wiring import build_storage

DEMO_PASSWORD = "demo-congdan-2026"  # noqa: S105 - demo data on a local machine, printed on purpose
RESIDENT_PHONE = "+84901234567"

STAFF: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "quantri@demo.congdan.vn", DEMO_PASSWORD, None),
    DemoAccount("coordinator", "dieuphoi@demo.congdan.vn", DEMO_PASSWORD, None),
    DemoAccount("agency_manager", "sxd.truongphong@demo.congdan.vn", DEMO_PASSWORD, "so_xay_dung"),
    DemoAccount("agency_officer", "sxd.canbo@demo.congdan.vn", DEMO_PASSWORD, "so_xay_dung"),
    DemoAccount("agency_officer", "ubnd.benthanh@demo.congdan.vn", DEMO_PASSWORD, "ubnd_26743"),
)

# (category, description, lat, long, address)
REPORTS: tuple[tuple[str | None, str, float, float, str], ...] = (
    (
        "road_damage",
        "Ổ gà lớn giữa đường Lê Lợi, xe máy đi qua rất nguy hiểm, tối qua có người té.",
        10.7731,
        106.6992,
        "Đường Lê Lợi, phường Bến Thành",
    ),
    (
        "flooding_drainage",
        "Mưa 30 phút là ngập tới bánh xe, cống bị rác bít kín.",
        10.7629,
        106.6822,
        "Đường Nguyễn Trãi, phường Chợ Quán",
    ),
    (
        "garbage",
        "rac do bua bai dau hem 45, 3 ngay chua ai thu gom, boc mui qua",
        10.7712,
        106.6935,
        "Hẻm 45 Bùi Viện, phường Bến Thành",
    ),
    (
        "street_lighting",
        "Đèn đường tắt cả tuần nay, khu này tối om, rất sợ bị giật đồ.",
        10.7868,
        106.7005,
        "Đường Điện Biên Phủ, phường Đa Kao",
    ),
    (
        "noise",
        "Quán karaoke hát tới 1 giờ sáng, nhà có người già và trẻ nhỏ không ngủ được.",
        10.7560,
        106.6660,
        "Phường An Đông",
    ),
    (
        "sidewalk_encroachment",
        "Vỉa hè bị quán ăn lấn chiếm hết, người đi bộ phải đi xuống lòng đường.",
        10.7748,
        106.7040,
        "Đường Nguyễn Huệ, phường Sài Gòn",
    ),
    (
        "trees",
        "Cây me nghiêng sát dây điện, gió lớn là sợ đổ.",
        10.7801,
        106.6950,
        "Đường Pasteur, phường Xuân Hòa",
    ),
    (
        "water_supply",
        "Mất nước từ sáng tới giờ không có thông báo.",
        10.8013,
        106.7143,
        "Đường Xô Viết Nghệ Tĩnh, phường Thạnh Mỹ Tây",
    ),
    (
        None,
        "Đề nghị bố trí thêm thùng rác công cộng ở công viên, cuối tuần rất đông người.",
        10.7769,
        106.7009,
        "Công viên Nguyễn Huệ",
    ),
    (
        "traffic_signal",
        "Đèn tín hiệu ngã tư bị hỏng, chỉ nháy vàng, giờ cao điểm kẹt cứng.",
        10.7794,
        106.6880,
        "Ngã tư Nam Kỳ Khởi Nghĩa – Võ Văn Tần",
    ),
)


async def seed_demo(settings: Settings) -> tuple[bool, list[DemoAccount]]:
    """Creates the demo data once. Returns whether anything was created, and the demo accounts."""
    engine = make_engine(settings)
    maker = make_sessionmaker(engine)
    try:
        async with maker() as session:
            if await is_demo_seeded(session):
                return False, list(STAFF)
        async with maker() as session, session.begin():
            await _create(session, settings)
        return True, list(STAFF)
    finally:
        await engine.dispose()


async def _create(session: AsyncSession, settings: Settings) -> None:
    staff: dict[str, Account] = {}
    for demo in STAFF:
        staff[demo.email] = await accounts.create_staff(
            session,
            email=demo.email,
            password=demo.password,
            role=demo.role,
            agency_code=demo.agency,
            display_name=demo.email.split("@")[0],
        )
    resident = await accounts.resident_for(session, channel="sms", destination=RESIDENT_PHONE)
    resident.display_name = "Nguyễn Văn An"
    ctx = Context(
        settings=settings,
        areas=await load_index(session),
        storage=build_storage(settings),
    )
    who = Principal(resident.id, "resident")
    made = []
    for category, text, lat, lon, address in REPORTS:
        made.append(
            await submission.submit(
                session,
                ctx,
                who,
                ReportCreate(
                    category=category,
                    description=text,
                    location=Location(lat=lat, long=lon),
                    address=address,
                    kind="report" if category else "suggestion",
                ),
            )
        )
    officer = staff["sxd.canbo@demo.congdan.vn"]
    sxd = Principal(officer.id, officer.role, officer.agency_code)
    pothole = made[0]
    await lifecycle.transition(
        session,
        ctx,
        sxd,
        pothole.id,
        TransitionIn(to=Status.IN_PROGRESS, note="Đã cử đội kiểm tra hiện trường."),
    )
    await lifecycle.transition(
        session,
        ctx,
        sxd,
        pothole.id,
        TransitionIn(
            to=Status.RESOLVED, note="Đã vá ổ gà và trải lại nhựa đoạn 20 m. Cảm ơn bạn đã phản ánh."
        ),
    )
