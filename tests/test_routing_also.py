"""A message naming two problems: the second is offered as "also report …?" (API and page), and
the suggestion's classifier work runs off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.routing import also
from congdan.routing.classifier import Classifier, Judged, Ranked, heldout_corpus, train, training_corpus
from congdan.routing.evaluation import OUT_OF_SCOPE
from congdan.routing.styles import styles_of
from congdan.routing.suggestions import suggest
from tests.conftest import BEN_THANH
from tests.resident_pages_support import csrf_of

TWO = (
    "Đường Trần Hưng Đạo đoạn trước số 120 có ổ gà rất sâu, xe máy sụp bánh liên tục. "
    "Ngoài ra đèn đường chỗ đó cũng tắt mấy đêm nay."
)
ONE = "Ổ gà rất sâu và rộng giữa đường Lê Lợi, còn xe máy thì cứ sụp bánh, nguy hiểm lắm."


@pytest.fixture(scope="module")
def trained() -> Iterator[Classifier]:
    yield train(training_corpus())


def test_a_message_is_cut_at_sentences_and_at_words_that_start_another_matter() -> None:
    assert also.parts(TWO) == [
        "Đường Trần Hưng Đạo đoạn trước số 120 có ổ gà rất sâu, xe máy sụp bánh liên tục",
        "đèn đường chỗ đó cũng tắt mấy đêm nay",
    ]
    # without diacritics, and "thêm nữa" inside a sentence
    assert also.parts("hem 45 ngap sau vi cong nghet them nua rac don o dau hem") == [
        "hem 45 ngap sau vi cong nghet",
        "rac don o dau hem",
    ]
    # "và", "còn" and commas stay inside one problem; a short tail is not a problem of its own
    assert also.parts(ONE) == [ONE.rstrip(".")]
    assert also.parts("Ổ gà to giữa đường. Cảm ơn!") == ["Ổ gà to giữa đường"]


def test_the_second_problem_is_offered_and_a_single_one_is_not(trained: Classifier) -> None:
    offer = also.second_problem(trained, TWO, "road_damage")
    assert offer is not None and offer.code == "street_lighting" and offer.confidence >= also.MIN_CONFIDENCE
    assert offer.text == "đèn đường chỗ đó cũng tắt mấy đêm nay"
    assert also.second_problem(trained, ONE, "road_damage") is None
    assert also.second_problem(trained, TWO, None) is None


def test_on_the_corpus_both_problems_are_found_and_single_ones_rarely_get_an_offer(
    trained: Classifier,
) -> None:
    two = also.read_two_problems()
    assert len(two) >= 40
    single = [
        e.text
        for e in heldout_corpus()
        if e.category != OUT_OF_SCOPE and "two_problems" not in styles_of(e.text)
    ]
    figures = also.measure(trained, two, single, trained.min_similarity)
    assert figures.both_found >= 0.85, figures
    assert figures.false_offers <= 0.02, figures


async def test_suggest_offers_the_second_problem(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/reports/suggest", json={"description": TWO, **BEN_THANH})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["categories"][0]["code"] == "road_damage"
    assert body["also"]["code"] == "street_lighting" and body["also"]["name"] == "Chiếu sáng công cộng"
    assert body["also"]["text"] == "đèn đường chỗ đó cũng tắt mấy đêm nay"
    single = (await client.post("/api/v1/reports/suggest", json={"description": ONE, **BEN_THANH})).json()
    assert single["also"] is None


async def test_the_report_form_offers_it_with_a_prefilled_form(client: httpx.AsyncClient) -> None:
    page = await client.get("/gui-phan-anh")
    token = csrf_of(page.text)
    r = await client.post(
        "/gui-phan-anh/goi-y",
        data={
            "description": TWO,
            "lat": str(BEN_THANH["lat"]),
            "long": str(BEN_THANH["long"]),
            "csrf_token": token,
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200, r.text
    assert "Bạn cũng muốn phản ánh việc “Chiếu sáng công cộng”?" in r.text
    href = r.text.split('href="/gui-phan-anh?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    query = parse_qs(urlparse("?" + href).query)
    assert query["linh_vuc"] == ["street_lighting"] and query["lat"] == [str(BEN_THANH["lat"])]
    prefilled = await client.get("/gui-phan-anh?" + href)
    assert prefilled.status_code == 200
    assert "đèn đường chỗ đó cũng tắt mấy đêm nay</textarea>" in prefilled.text
    assert '<option value="street_lighting" selected>' in prefilled.text
    assert f'value="{BEN_THANH["lat"]}"' in prefilled.text
    refused = await client.get("/gui-phan-anh?lat=abc", headers={"Accept": "text/html"})
    assert refused.status_code == 422 and "<html" in refused.text


class _Waiting:
    """A classifier that answers only once the test's coroutine has run: it can, only if the
    suggestion's classifier work is not holding the event loop."""

    version = 1
    threshold = 0.5
    min_similarity = None

    def __init__(self) -> None:
        self.released = threading.Event()
        self.saw_release: list[bool] = []

    def judge(self, text: str, limit: int | None = None) -> Judged:
        self.saw_release.append(self.released.wait(timeout=10))
        return Judged([Ranked("road_damage", 0.9)], 0.5)


async def test_suggest_classifies_off_the_event_loop(
    app: Any, maker: async_sessionmaker[AsyncSession]
) -> None:
    waiting = _Waiting()

    async def release() -> None:
        await asyncio.sleep(0.05)
        waiting.released.set()

    async with maker() as session:
        releaser = asyncio.create_task(release())
        found = await suggest(
            session,
            index=app.state.area_index,
            classifier=waiting,  # type: ignore[arg-type]
            settings=app.state.settings,
            description="Ổ gà to giữa đường Lê Lợi",
            lat=None,
            lon=None,
        )
        await releaser
    assert waiting.saw_release and all(waiting.saw_release)
    assert found.classification is not None and found.classification.top is not None
