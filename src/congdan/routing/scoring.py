"""One text through the fitted classifier without scikit-learn's per-call machinery.

A request classifies one text at a time. Through the pipeline that costs input checks at every
step, a sparse matrix per vectoriser and the normalisation of the same text three times; the
arithmetic itself is a few hundred dictionary look-ups and a product with a small dense block.
`Scorer` does only that arithmetic, from the same fitted vocabularies, IDF weights, SVM
coefficients and temperature, so its probabilities are the pipeline's (a test holds them equal on
the held-out split). Batches (training, evaluation) still go through the pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from congdan.kit.text import fold
from congdan.routing.normalise import folded, normalise

Floats = npt.NDArray[np.float64]
# What scikit-learn's char_wb analyser squeezes before splitting into words.
_RUNS_OF_SPACE = re.compile(r"\s\s+")


@dataclass(frozen=True)
class _Block:
    """One vectoriser's share of the features: its vocabulary and where its columns start."""

    columns: dict[str, int]  # the vocabulary, numbered among all the vectorisers' features
    ngrams: Callable[[str], list[str]]
    accented: bool  # reads the normalised text rather than its folded form


def _char_wb(low: int, high: int) -> Callable[[str], list[str]]:
    def ngrams(text: str) -> list[str]:
        grams: list[str] = []
        for word in _RUNS_OF_SPACE.sub(" ", text).split():
            padded = f" {word} "
            size = len(padded)
            for n in range(low, high + 1):
                if size <= n:  # a short word counts once, whole
                    grams.append(padded)
                    break
                grams.extend(map(padded.__getitem__, map(slice, range(size - n + 1), range(n, size + 1))))
        return grams

    return ngrams


def _words(pattern: str, low: int, high: int) -> Callable[[str], list[str]]:
    tokens = re.compile(pattern).findall

    def ngrams(text: str) -> list[str]:
        found: list[str] = tokens(text)
        grams = list(found) if low == 1 else []
        for n in range(max(low, 2), min(high, len(found)) + 1):
            grams.extend(" ".join(found[i : i + n]) for i in range(len(found) - n + 1))
        return grams

    return ngrams


def _block(vectoriser: Any, offset: int) -> _Block | None:
    """The block, or None for a vectoriser set up in a way this module does not reproduce."""
    low, high = vectoriser.ngram_range
    plain = (
        vectoriser.input == "content"
        and vectoriser.norm == "l2"
        and vectoriser.use_idf
        and vectoriser.sublinear_tf
        and vectoriser.stop_words is None
        and vectoriser.tokenizer is None
        and vectoriser.preprocessor in (folded, normalise)
    )
    if not plain:
        return None
    if vectoriser.analyzer == "char_wb":
        ngrams = _char_wb(low, high)
    elif vectoriser.analyzer == "word" and re.compile(vectoriser.token_pattern).groups == 0:
        ngrams = _words(vectoriser.token_pattern, low, high)
    else:
        return None
    columns = {gram: offset + int(column) for gram, column in vectoriser.vocabulary_.items()}
    return _Block(columns, ngrams, vectoriser.preprocessor is normalise)


class Scorer:
    """The calibrated probabilities of one text, class by class in the pipeline's order."""

    def __init__(self, blocks: list[_Block], idf: Floats, weights: Floats, intercept: Floats, beta: float):
        self._blocks = blocks
        self._idf = idf
        self._weights = weights  # features × classes: the SVM's coefficients, transposed
        self._intercept = intercept
        self._beta = beta
        # Which vectoriser each feature column belongs to: each one's part is normalised alone.
        self._block_of = np.repeat(np.arange(len(blocks), dtype=np.intp), [len(b.columns) for b in blocks])

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> Scorer | None:
        """A scorer for a pipeline of TF-IDF vectorisers, a linear SVM and temperature scaling
        (what `classifier.train` makes); None for any other shape, which keeps the slow path."""
        try:
            features = pipeline.named_steps["features"]
            model = pipeline.named_steps["model"]
            (calibrated,) = model.calibrated_classifiers_
            svm = calibrated.estimator
            if model.method != "temperature" or features.transformer_weights is not None:
                return None
            (calibrator,) = calibrated.calibrators
            blocks, idfs, offset = [], [], 0
            for _name, vectoriser in features.transformer_list:
                block = _block(vectoriser, offset)
                if block is None:
                    return None
                blocks.append(block)
                idfs.append(np.asarray(vectoriser.idf_, dtype=np.float64))
                offset += len(vectoriser.idf_)
            coef = np.asarray(svm.coef_, dtype=np.float64)
        except (AttributeError, KeyError, TypeError, ValueError):
            return None
        if coef.shape != (len(model.classes_), offset):
            return None  # a two-class SVM has one row of coefficients; not what we train
        return cls(
            blocks,
            np.concatenate(idfs),
            np.ascontiguousarray(coef.T),
            np.asarray(svm.intercept_, dtype=np.float64),
            float(calibrator.beta_),
        )

    def probabilities(self, text: str) -> Floats:
        return self.probabilities_of(*self.features(text))

    def features(self, text: str) -> tuple[npt.NDArray[np.intp], Floats]:
        """The text's non-zero feature columns and their TF-IDF values, each vectoriser's part of
        length 1, as the pipeline's features would be."""
        accented = normalise(text)
        plain = fold(accented)
        found: list[int] = []
        for block in self._blocks:
            grams = block.ngrams(accented if block.accented else plain)
            found.extend(map(block.columns.get, grams, repeat(-1, len(grams))))
        columns = np.asarray(found, dtype=np.intp)
        columns, counts = np.unique(columns[columns >= 0], return_counts=True)
        values = (1.0 + np.log(counts)) * self._idf[columns]
        if not len(columns):
            return columns, values
        owner = self._block_of[columns]
        norms = np.sqrt(np.bincount(owner, weights=values * values, minlength=len(self._blocks)))
        values /= norms[owner]
        return columns, values

    def probabilities_of(self, columns: npt.NDArray[np.intp], values: Floats) -> Floats:
        if not len(columns):
            return _temperature(self._intercept, self._beta)
        return _temperature(values @ self._weights[columns] + self._intercept, self._beta)


def _temperature(scores: Floats, beta: float) -> Floats:
    """Softmax of the margins over the fitted temperature, as scikit-learn's calibrator does —
    including its reading of margins that look like probabilities as probabilities."""
    logits = scores
    if bool(np.all((scores >= 0) & (scores <= 1))) and abs(float(scores.sum()) - 1.0) <= 1e-8 + 1e-5:
        logits = np.log(scores + 1e-12)
    scaled = beta * logits
    exp = np.exp(scaled - scaled.max())
    proba: Floats = exp / exp.sum()
    proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
    return proba
