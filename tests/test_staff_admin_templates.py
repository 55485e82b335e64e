"""An agency's managers manage their own agency's reply templates on the templates page: they see
those only, write templates for their agency only, and change no other agency's nor the shared
ones; officers and coordinators are refused and change nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from congdan.models import ReplyTemplate
from tests.staff_admin_support import AGENCY, Maker, audited, post_form, signed_in

PAGE = "/staff/admin/mau-tra-loi"
OTHER = "sawaco"


async def _templates(maker: Maker) -> dict[str, ReplyTemplate]:
    async with maker() as session:
        return {t.title: t for t in await session.scalars(select(ReplyTemplate))}


async def _seed(maker: Maker) -> None:
    async with maker() as session, session.begin():
        for title, agency in (("Của sở", AGENCY), ("Của Sawaco", OTHER), ("Dùng chung", None)):
            session.add(ReplyTemplate(agency_code=agency, title=title, body="Đã nhận {ma_phan_anh}."))


async def test_a_manager_edits_their_own_agency_templates_only(app: Any, maker: Maker) -> None:
    await _seed(maker)
    seeded = await _templates(maker)
    async with signed_in(app, maker, "agency_manager", AGENCY) as manager:
        queue = await manager.get("/staff/")
        assert f'href="{PAGE}"' in queue.text and 'href="/staff/admin/staff"' not in queue.text
        listing = await manager.get(PAGE)
        assert listing.status_code == 200
        assert (
            "Của sở" in listing.text and "Của Sawaco" not in listing.text and "Dùng chung" not in listing.text
        )
        # Neither the other agencies nor "every agency" is offered, nor the administrators' sections.
        assert f'value="{AGENCY}"' in listing.text and f'value="{OTHER}"' not in listing.text
        assert (
            "Mọi cơ quan (mẫu chung)" not in listing.text and 'href="/staff/admin/ly-do"' not in listing.text
        )

        r = await post_form(manager, PAGE, PAGE, title="Mới", body="Xin chào {ma_phan_anh}.", agency=AGENCY)
        assert r.status_code == 303 and r.headers["location"] == f"{PAGE}?done=created"
        own = f"{PAGE}/{seeded['Của sở'].id}"
        r = await post_form(manager, own, own, title="Của sở, đã sửa", body="Đã xem {ma_phan_anh}.")
        assert r.status_code == 303

        # Another agency's template or a shared one: refused, nothing changes.
        for agency in (OTHER, ""):
            r = await post_form(manager, PAGE, PAGE, title="Lạ", body="Lạ", agency=agency)
            assert r.status_code == 403 and "Chỉ quản trị viên hoặc lãnh đạo cơ quan" in r.text
        theirs = f"{PAGE}/{seeded['Của Sawaco'].id}"
        assert (await manager.get(theirs)).status_code == 404
        shared = f"{PAGE}/{seeded['Dùng chung'].id}"
        assert (await manager.get(shared)).status_code == 403
        r = await post_form(manager, PAGE, shared, title="Chung, đã sửa", body="Sửa")
        assert r.status_code == 403
        r = await post_form(manager, PAGE, f"{shared}/xoa")
        assert r.status_code == 403
    after = await _templates(maker)
    assert set(after) == {"Dùng chung", "Của Sawaco", "Của sở, đã sửa", "Mới"}
    assert after["Mới"].agency_code == AGENCY and after["Dùng chung"].title == "Dùng chung"
    assert await audited(maker, "reply_template.created") == 1
    assert await audited(maker, "reply_template.updated") == 1

    async with signed_in(app, maker) as admin:
        listing = await admin.get(PAGE)
        assert all(title in listing.text for title in after) and "Mọi cơ quan (mẫu chung)" in listing.text


async def test_officers_and_coordinators_still_get_the_refusal_page(app: Any, maker: Maker) -> None:
    await _seed(maker)
    own = (await _templates(maker))["Của sở"]
    for role, agency in (("agency_officer", AGENCY), ("coordinator", None)):
        async with signed_in(app, maker, role, agency) as someone:
            for page in (PAGE, f"{PAGE}/{own.id}"):
                r = await someone.get(page)
                assert r.status_code == 403 and "Không có quyền" in r.text, (role, page)
            queue = await someone.get("/staff/")
            assert f'href="{PAGE}"' not in queue.text
            r = await post_form(someone, "/staff/", PAGE, title="Lạ", body="Lạ", agency=AGENCY)
            assert r.status_code == 403
            r = await post_form(someone, "/staff/", f"{PAGE}/{own.id}", title="Sửa trộm", body="Sửa")
            assert r.status_code == 403
    assert set(await _templates(maker)) == {"Dùng chung", "Của Sawaco", "Của sở"}
    assert await audited(maker, "reply_template.created") == 0
