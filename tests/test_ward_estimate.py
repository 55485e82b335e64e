"""The unit estimated from a point: the runner-up named on a close call, offered to the
coordinator in one click, and the evaluation that measures how often the estimate is right."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.areas import accuracy
from congdan.areas.accuracy import OldWard, Sample
from congdan.areas.service import AreaIndex, package_units
from tests.conftest import Actors
from tests.test_staff_report_page import _post, _signed_in, _url
from tests.workbench_support import get_report, make_report

# Between the centres of Bến Thành (26743) and Xuân Hòa (27139), a little nearer Bến Thành.
BETWEEN = (10.7760, 106.6922)
# Near Bến Thành market, well inside Bến Thành.
INSIDE = (10.7725, 106.6980)


def test_a_close_call_names_the_runner_up_and_a_clear_one_does_not() -> None:
    index = AreaIndex(package_units())
    close = index.locate(*BETWEEN)
    assert close is not None and close.area_code == "26743" and close.approximate
    assert close.runner_up == "27139"
    clear = index.locate(*INSIDE)
    assert clear is not None and clear.area_code == "26743" and clear.runner_up is None


async def test_triage_offers_the_runner_up(
    app: Any, client: httpx.AsyncClient, actors: Actors, maker: async_sessionmaker[AsyncSession]
) -> None:
    lat, lon = BETWEEN
    close = await make_report(
        maker, status="triage", agency_code=None, lat=lat, lon=lon, area_approximate=True
    )
    clear = await make_report(maker, status="triage", agency_code=None, area_approximate=True)
    # A unit a person confirmed is not second-guessed.
    confirmed = await make_report(
        maker, status="triage", agency_code=None, lat=lat, lon=lon, area_approximate=False
    )
    coordinator = await actors.staff("coordinator")

    items = {
        i["id"]: i for i in (await client.get("/api/v1/staff/triage", headers=coordinator)).json()["items"]
    }
    assert items[str(close)]["area"]["code"] == "26743"
    assert items[str(close)]["area_runner_up"] == {"code": "27139", "name": "Phường Xuân Hòa"}
    assert items[str(clear)]["area_runner_up"] is None
    assert items[str(confirmed)]["area_runner_up"] is None

    async with _signed_in(app, maker, "coordinator", None) as signed_in:
        page = (await signed_in.get("/staff/triage")).text
    row = re.search(rf'<tr id="r-[^"]+">\s*<td><a href="/staff/reports/{close}">.*?</tr>', page, re.S)
    assert row is not None and "ước tính; có thể là Phường Xuân Hòa" in row.group(0)
    assert 'name="agency" value="ubnd_27139"' in row.group(0)
    assert page.count("có thể là") == 1


async def test_the_runner_up_is_one_click_away_on_the_report_page(app: Any, maker: Any) -> None:
    lat, lon = BETWEEN
    close = await make_report(maker, lat=lat, lon=lon, area_approximate=True, agency_code="ubnd_26743")
    clear = await make_report(maker, area_approximate=True, agency_code="ubnd_26743")
    async with _signed_in(app, maker, "agency_officer", "ubnd_26743") as committee:
        # The ward committee reads the doubt; giving the report back is its existing transfer.
        page = (await committee.get(_url(close))).text
        assert "ước tính; có thể là Phường Xuân Hòa" in page and 'id="runner-up"' not in page
    async with _signed_in(app, maker, "coordinator", None) as coordinator:
        page = (await coordinator.get(_url(clear))).text
        assert "có thể là" not in page and 'id="runner-up"' not in page
        page = (await coordinator.get(_url(close))).text
        area = re.search(r'<dd id="area">(.*?)</dd>', page, re.S)
        assert area is not None and "Phường Bến Thành (ước tính; có thể là Phường Xuân Hòa)" in area.group(1)
        r = await _post(coordinator, close, "chuyen-co-quan", agency="ubnd_27139")
        assert r.status_code == 303, r.text
    report = await get_report(maker, close)
    assert report.status == "assigned" and report.agency_code == "ubnd_27139"


def test_evaluation_on_a_fixed_sample() -> None:
    points = [Sample(0.0, 0.0, "a"), Sample(0.0, 1.0, "b"), Sample(1.0, 1.0, "c"), Sample(1.0, 0.0, "d")]
    answers = {(0.0, 0.0): ["a", "b"], (0.0, 1.0): ["a", "b"], (1.0, 1.0): ["x", "y"], (1.0, 0.0): []}
    score = accuracy.evaluate(points, lambda lat, lon: answers[(lat, lon)])
    assert (score.n, score.top1, score.top2) == (4, 0.25, 0.5)
    assert accuracy.evaluate([], lambda lat, lon: ["a"]).n == 0


def test_samples_stay_in_their_old_ward_and_skip_split_ones() -> None:
    west = OldWard(10.0, 106.0, (9.99, 105.99, 10.01, 106.02), "A")
    east = OldWard(10.0, 106.01, (9.99, 106.0, 10.01, 106.02), "B")
    split = OldWard(10.0, 106.03, (9.99, 106.02, 10.01, 106.04), None)
    wards = [west, east, split]
    points = accuracy.samples(wards, per_ward=50, seed=1)
    assert points == accuracy.samples(wards, per_ward=50, seed=1)  # the same points every run
    assert {p.truth for p in points} == {"A", "B"}
    for p in points:
        # West's box reaches over east's centre; only west's own half is kept.
        assert (p.lon < 106.005) == (p.truth == "A")
        assert p.lon < 106.02


def test_the_package_ships_old_wards_that_passed_whole() -> None:
    wards = accuracy.old_wards()
    codes = {u.code for u in package_units()}
    whole = [w for w in wards if w.new_code is not None]
    assert len(whole) > 300 and {w.new_code for w in whole} <= codes
    assert any(w.new_code is None for w in wards)
