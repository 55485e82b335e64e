"""The administrators' page of the classifier's versions: training asked for from the page is a
job a worker runs (queued, running, finished; never two queued), a new version is not used until
an administrator activates it, activations are audited and reach the servers' cached classifier,
and two versions are measured side by side on the held-out set."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from congdan.config import Settings
from congdan.db import make_engine, make_sessionmaker, utcnow
from congdan.models import AuditEntry, OutboxMessage
from congdan.outbox import repository as outbox_repo
from congdan.outbox.relay import Relay
from congdan.routing import repository as routing_repo
from congdan.routing import service, versions
from congdan.routing.classifier import Classifier, evaluate, heldout_corpus, training_corpus
from tests.staff_admin_support import Maker, audited, post_form, principal_of, signed_in

PAGE = "/staff/admin/bo-phan-loai"


@pytest.fixture(scope="module")
def smaller() -> service.Fitted:
    """A real second version, trained on a third of the corpus: quicker, and measurably different."""
    return service.fit(training_corpus()[::3], 0)


async def _second_version(maker: Maker, fitted: service.Fitted) -> int:
    async with maker() as session, session.begin():
        return (await service.store(session, fitted)).model.version


async def _active(maker: Maker) -> int | None:
    async with maker() as session:
        return await routing_repo.active_version(session)


async def _jobs(maker: Maker) -> list[OutboxMessage]:
    async with maker() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.event_type == versions.TRAIN_REQUESTED)
        return list((await session.scalars(stmt)).all())


# ---- training as a job -----------------------------------------------------------------------


async def test_training_is_queued_once_run_by_a_worker_and_not_put_in_use(
    app: Any, maker: Maker, relay: Relay
) -> None:
    async with maker() as session:
        latest = await routing_repo.latest_version(session)
    assert latest is not None and await _active(maker) == latest
    async with signed_in(app, maker) as admin:
        r = await post_form(admin, PAGE, f"{PAGE}/huan-luyen")
        assert r.status_code == 303 and r.headers["location"] == f"{PAGE}?training=queued"
        page = (await admin.get(r.headers["location"])).text
        assert "Đã xếp lịch huấn luyện; trang này cho biết khi nào xong." in page
        assert "<strong>đang chờ</strong>" in page
        again = await post_form(admin, PAGE, f"{PAGE}/huan-luyen")
        assert again.headers["location"] == f"{PAGE}?training=already"
        assert (
            "Đã có một lần huấn luyện đang chờ hoặc đang chạy"
            in (await admin.get(again.headers["location"])).text
        )
        assert len(await _jobs(maker)) == 1
        async with maker() as session:
            assert await routing_repo.latest_version(session) == latest  # nothing trained in the request

        # A worker leases the row (with a lease already over, so the relay below takes it over).
        async with maker() as session, session.begin():
            now = utcnow()
            claimed = await outbox_repo.claim(
                session, worker_id="another-worker", now=now, lease_until=now - timedelta(seconds=1), limit=10
            )
        assert len(claimed) == 1
        assert "<strong>đang chạy</strong>" in (await admin.get(PAGE)).text
        assert (await post_form(admin, PAGE, f"{PAGE}/huan-luyen")).headers[
            "location"
        ] == f"{PAGE}?training=already"

        assert await relay.drain() >= 1
        async with maker() as session:
            assert await routing_repo.latest_version(session) == latest + 1
        assert await _active(maker) == latest  # an administrator chooses when to switch
        page = (await admin.get(PAGE)).text
        assert f"<strong>đã xong, phiên bản {latest + 1}</strong>" in page
        assert f"<td>{latest} <strong>(đang dùng)</strong>" in page
        assert f"<td>{latest + 1}</td>" in page
        assert "Phiên bản mới huấn luyện không tự được dùng" in page

        # Once finished, another click queues another training.
        assert (await post_form(admin, PAGE, f"{PAGE}/huan-luyen")).headers[
            "location"
        ] == f"{PAGE}?training=queued"
    assert [job.status for job in sorted(await _jobs(maker), key=lambda j: j.created_at)] == [
        "done",
        "pending",
    ]
    assert await audited(maker, versions.TRAINING_QUEUED) == 2
    assert await audited(maker, versions.TRAINED) == 1


async def test_two_administrators_at_once_queue_one_training(app: Any, maker: Maker) -> None:
    async with signed_in(app, maker) as admin:
        me = await principal_of(maker, admin)

    async def another_click() -> bool:
        async with maker() as session, session.begin():
            return (await versions.queue_training(session, me))[1]

    async with maker() as session:
        async with session.begin():
            assert (await versions.queue_training(session, me))[1]
            other = asyncio.create_task(another_click())
            await asyncio.sleep(0.3)  # the other click's chance to go ahead without waiting its turn
        assert await other is False
    assert len(await _jobs(maker)) == 1


async def test_the_first_version_trained_is_put_in_use(maker: Maker, smaller: service.Fitted) -> None:
    async with maker() as session:  # never committed: closing the session undoes it
        first = await routing_repo.active_version(session)
        assert first is not None
        # As on a database whose versions were all taken out of use: none is active.
        model = await routing_repo.get_model(session, first)
        assert model is not None
        model.is_active = False
        await session.flush()
        trained = await service.store(session, smaller)
        assert trained.model.is_active


# ---- the active version ----------------------------------------------------------------------


async def test_an_administrator_activates_a_version_and_servers_pick_it_up(
    app: Any, maker: Maker, settings: Settings, smaller: service.Fitted
) -> None:
    first = await _active(maker)
    assert first is not None
    second = await _second_version(maker, smaller)
    holder = service.ClassifierHolder(ttl_seconds=0.0)
    async with maker() as session:
        loaded = await holder.refresh(session)
        assert loaded is not None and loaded.version == first
        assert await holder.refresh(session) is loaded  # unchanged: the model is not read again
    async with signed_in(app, maker) as admin:
        page = (await admin.get(PAGE)).text
        assert f"<td>{first} <strong>(đang dùng)</strong>" in page and f"Dùng phiên bản {second}" in page
        r = await post_form(admin, PAGE, f"{PAGE}/kich-hoat", version=str(second))
        assert r.status_code == 303 and r.headers["location"] == f"{PAGE}?activated={second}"
        page = (await admin.get(r.headers["location"])).text
        assert f"Đã chuyển sang dùng phiên bản {second}." in page
        assert f"<td>{second} <strong>(đang dùng)</strong>" in page and f"<td>{first}</td>" in page
        # Asking again for the one in use changes nothing and records nothing.
        await post_form(admin, PAGE, f"{PAGE}/kich-hoat", version=str(second))
    assert await _active(maker) == second
    async with maker() as session:
        entries = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == versions.ACTIVATED))
        ).all()
    assert [(e.subject_id, json.loads(e.details)) for e in entries] == [(str(second), {"previous": first})]
    async with maker() as session:
        switched = await holder.refresh(session)
    assert switched is not None and switched.version == second

    # A change made by another process (its own engine) reaches this process's cache too.
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as other, other.begin():
            await routing_repo.set_active(other, first)
    finally:
        await engine.dispose()
    async with maker() as session:
        back = await holder.refresh(session)
    assert back is not None and back.version == first


async def test_activating_a_version_that_does_not_exist_changes_nothing(app: Any, maker: Maker) -> None:
    first = await _active(maker)
    async with signed_in(app, maker) as admin:
        for version, status, message in (
            ("999", 404, "Không có phiên bản 999 của bộ phân loại."),
            ("một", 422, "Số phiên bản không hợp lệ."),
            ("", 422, "Số phiên bản không hợp lệ."),
        ):
            r = await post_form(admin, PAGE, f"{PAGE}/kich-hoat", version=version)
            assert r.status_code == status and r.headers["content-type"].startswith("text/html")
            assert f'<p class="error" role="alert">{message}</p>' in r.text
            assert f"<td>{first} <strong>(đang dùng)</strong>" in r.text
    assert await _active(maker) == first
    assert await audited(maker, versions.ACTIVATED) == 0


# ---- comparing two versions --------------------------------------------------------------------


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


async def test_two_versions_are_compared_per_category_on_the_heldout_set(
    app: Any, maker: Maker, smaller: service.Fitted
) -> None:
    first = await _active(maker)
    assert first is not None
    second = await _second_version(maker, smaller)
    async with maker() as session:
        model = await routing_repo.get_model(session, first)
        assert model is not None
        one = evaluate(Classifier.loads(model.blob, first), heldout_corpus())
    two = evaluate(smaller.classifier, heldout_corpus())
    assert one.per_category != two.per_category
    async with signed_in(app, maker) as admin:
        page = (await admin.get(PAGE)).text
        assert "So sánh hai phiên bản" in page and 'id="comparison"' not in page
        compared = await admin.get(PAGE, params={"a": first, "b": second})
        assert compared.status_code == 200
        table = compared.text[compared.text.index('id="comparison"') :]
        assert f"({one.n} mẫu)" in table
        assert (
            f'<th scope="row">Tất cả</th><td>{_percent(one.top1)}</td><td>{_percent(two.top1)}</td>' in table
        )
        assert (
            '<th scope="row">Hư hỏng mặt đường, ổ gà, sụp lún</th>'
            f"<td>{_percent(one.per_category['road_damage'])}</td>"
            f"<td>{_percent(two.per_category['road_damage'])}</td>"
        ) in table
        assert table.count('<tr><th scope="row">') == len(one.per_category | two.per_category) + 1
        english = await admin.get(PAGE, params={"a": first, "b": second, "lang": "en"})
        assert "Road damage, potholes" in english.text
        missing = await admin.get(PAGE, params={"a": first, "b": 999, "lang": "vi"})
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
        assert '<p class="error" role="alert">Không có phiên bản 999 của bộ phân loại.</p>' in missing.text
        odd = await admin.get(PAGE, params={"a": "hai", "b": second})
        assert odd.status_code == 422 and "Số phiên bản không hợp lệ." in odd.text
