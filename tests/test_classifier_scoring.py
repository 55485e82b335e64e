"""One text at a time through the scorer gives what the fitted pipeline gives."""

from __future__ import annotations

import numpy as np
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from congdan.models import ClassifierModel
from congdan.routing.classifier import Classifier, heldout_corpus
from congdan.routing.scoring import Scorer


@pytest_asyncio.fixture(scope="module")
async def stored(maker: async_sessionmaker[AsyncSession]) -> Classifier:
    async with maker() as session:
        model = (
            await session.scalars(select(ClassifierModel).order_by(ClassifierModel.version).limit(1))
        ).one()
        return Classifier.loads(model.blob, model.version)


def test_the_stored_model_has_a_scorer(stored: Classifier) -> None:
    assert isinstance(stored._scorer, Scorer)


def test_every_heldout_row_ranks_as_through_the_pipeline(stored: Classifier) -> None:
    texts = [e.text for e in heldout_corpus()]
    reference = stored._pipeline.predict_proba(texts)
    assert stored._scorer is not None
    scored = np.array([stored._scorer.probabilities(t) for t in texts])
    assert np.allclose(scored, reference, rtol=0, atol=1e-12)
    assert [stored.rank(t) for t in texts] == stored.rank_many(texts)


def test_text_with_no_known_feature_scores_like_the_pipeline(stored: Classifier) -> None:
    texts = ["", "   ", "qzxqzx wvwvw", "🙂", "a"]
    assert stored._scorer is not None
    for text in texts:
        reference = stored._pipeline.predict_proba([text])[0]
        assert np.allclose(stored._scorer.probabilities(text), reference, rtol=0, atol=1e-12)


def test_a_pipeline_of_another_shape_keeps_the_pipeline_path(stored: Classifier) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    other = Classifier.loads(stored.dumps(), stored.version)
    words = other._pipeline.named_steps["features"].transformer_list[1][1]
    assert isinstance(words, TfidfVectorizer)
    words.set_params(sublinear_tf=False)
    assert Scorer.from_pipeline(other._pipeline) is None
    assert Classifier(other._pipeline)._scorer is None
