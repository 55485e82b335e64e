"""An administrator takes an agency out of use and back on its page: refused, with every reason
named, while it still has open reports, is a category's default agency or an active routing
rule's target; out of use, it is offered as no transfer or routing target, while its earlier
reports stay visible. Both changes are audited; no one else may make them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy import update

from congdan.models import Agency, Category, Report, RoutingRule
from tests.staff_admin_support import AGENCY, Maker, audited, categories_restored, post_form, signed_in
from tests.workbench_support import make_report

CODE = "ban_tam_thoi"
EDIT = f"/staff/admin/co-quan/{CODE}"


@pytest_asyncio.fixture(autouse=True)
async def _categories_put_back(maker: Maker) -> AsyncIterator[None]:
    async with categories_restored(maker):
        yield


async def _agency(maker: Maker) -> Agency:
    async with maker() as session:
        found = await session.get(Agency, CODE)
        assert found is not None
        return found


async def test_an_agency_still_in_use_is_not_taken_out_of_use_and_each_reason_is_named(
    app: Any, maker: Maker
) -> None:
    async with maker() as session, session.begin():
        session.add(Agency(code=CODE, name="Ban Tạm thời", name_en="Interim Board", kind="department"))
        await session.flush()
        session.add(RoutingRule(category_code="street_lighting", agency_code=CODE, priority=3))
        await session.execute(
            update(Category).where(Category.code == "road_damage").values(default_agency_code=CODE)
        )
    handled = await make_report(maker, agency_code=CODE)
    async with signed_in(app, maker) as admin:
        r = await post_form(admin, EDIT, f"{EDIT}/ngung")
        assert r.status_code == 409
        assert "Cơ quan còn 1 phản ánh đang mở: hãy xử lý xong hoặc chuyển đi trước." in r.text
        assert "Cơ quan là cơ quan mặc định của lĩnh vực: Hư hỏng mặt đường, ổ gà, sụp lún." in r.text
        assert "Cơ quan là nơi nhận của 1 luật phân luồng đang dùng (lĩnh vực: street_lighting)." in r.text
        assert (await _agency(maker)).is_active

        # Without the open report, the default and the rule, it is taken out of use.
        async with maker() as session, session.begin():
            await session.execute(update(Report).where(Report.id == handled).values(status="closed"))
            await session.execute(
                update(Category).where(Category.code == "road_damage").values(default_agency_code=AGENCY)
            )
            await session.execute(
                update(RoutingRule).where(RoutingRule.agency_code == CODE).values(is_active=False)
            )
        r = await post_form(admin, EDIT, f"{EDIT}/ngung")
        assert r.status_code == 303 and r.headers["location"] == "/staff/admin/co-quan?done=deactivated"
        assert "Đã ngừng dùng cơ quan." in (await admin.get(r.headers["location"])).text
        assert not (await _agency(maker)).is_active

        # Its report stays visible; no other report offers it for a transfer; no rule may send to it.
        assert (await admin.get(f"/staff/reports/{handled}")).status_code == 200
        other = await make_report(maker)
        assert f'value="{CODE}"' not in (await admin.get(f"/staff/reports/{other}")).text
        rules = "/staff/admin/phan-luong"
        r = await post_form(admin, rules, rules, category="road_damage", receiver=CODE, priority="9")
        assert r.status_code == 422

        r = await post_form(admin, EDIT, f"{EDIT}/kich-hoat")
        assert r.status_code == 303 and r.headers["location"] == "/staff/admin/co-quan?done=reactivated"
        assert (await _agency(maker)).is_active
    assert await audited(maker, "agency.deactivated") == 1
    assert await audited(maker, "agency.reactivated") == 1


async def test_no_one_but_an_administrator_takes_an_agency_out_of_use(app: Any, maker: Maker) -> None:
    for role, agency in (("agency_manager", AGENCY), ("coordinator", None)):
        async with signed_in(app, maker, role, agency) as someone:
            r = await post_form(someone, "/staff/", "/staff/admin/co-quan/sawaco/ngung")
            assert r.status_code == 403
    async with maker() as session:
        sawaco = await session.get(Agency, "sawaco")
        assert sawaco is not None and sawaco.is_active
    assert await audited(maker, "agency.deactivated") == 0


async def test_an_unknown_agency_is_not_found(app: Any, maker: Maker) -> None:
    async with signed_in(app, maker) as admin:
        r = await post_form(admin, "/staff/", "/staff/admin/co-quan/khong_co/ngung")
        assert r.status_code == 404
