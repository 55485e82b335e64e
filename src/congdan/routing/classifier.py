"""The category classifier: train, rank, evaluate, serialise.

Features are TF-IDF over the normalised text: character n-grams and word n-grams of the folded
form (so "ngập nước" and "ngap nuoc" meet) and word n-grams with diacritics (which tell "hỏng"
from "hông" when the resident typed them). A linear SVM on top, its margins turned into probabilities
by temperature scaling fitted on cross-validated scores, so that a confidence of 0.6 means right about six
times in ten — the triage threshold depends on that.
"""

from __future__ import annotations

import csv
import hashlib
import io
import pickle
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from congdan.routing.calibration import (
    choose_threshold,
    curve,
    default_thresholds,
    expected_calibration_error,
    reliability,
)
from congdan.routing.normalise import folded, normalise

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
TRAIN_FILE = CORPUS_DIR / "train.tsv"
HELDOUT_FILE = CORPUS_DIR / "heldout.tsv"
# Single-letter words count too: "q 3", "p 5" are districts and wards once shorthand is spelled out.
WORD_PATTERN = r"(?u)\b\w+\b"


@dataclass(frozen=True)
class Example:
    category: str
    text: str


@dataclass(frozen=True)
class Ranked:
    code: str
    confidence: float


@dataclass(frozen=True)
class Evaluation:
    top1: float
    top3: float
    n: int
    per_category: dict[str, float]  # recall of each category present in the file
    # (top-1 confidence, top-1 right) for every row: what calibration and the threshold come from.
    pairs: tuple[tuple[float, bool], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        table = reliability(self.pairs)
        chosen = choose_threshold(curve(self.pairs, default_thresholds()))
        return {
            "top1": self.top1,
            "top3": self.top3,
            "n": self.n,
            "per_category": self.per_category,
            "ece": round(expected_calibration_error(table), 4),
            "reliability": [
                {
                    "low": b.low,
                    "high": b.high,
                    "count": b.count,
                    "confidence": round(b.confidence, 4),
                    "accuracy": round(b.accuracy, 4),
                }
                for b in table
            ],
            "threshold": None if chosen is None else chosen.threshold,
            "auto_routed": None if chosen is None else round(chosen.auto_routed, 4),
            "misrouted": None if chosen is None else round(chosen.misrouted, 4),
        }


class CorpusError(ValueError):
    pass


def read_tsv(source: Path | str | io.TextIOBase) -> list[Example]:
    """Rows of `category<TAB>text` under that exact header line."""
    if isinstance(source, (str, Path)):
        with open(source, encoding="utf-8", newline="") as handle:
            return _read_rows(handle, str(source))
    return _read_rows(source, "<stream>")


def _read_rows(handle: Iterable[str], name: str) -> list[Example]:
    reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header is None or [h.strip().lstrip("\ufeff") for h in header] != ["category", "text"]:
        raise CorpusError(f"{name}: the first line must be the header 'category<TAB>text'")
    rows = []
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise CorpusError(f"{name}:{line_no}: expected 'category<TAB>text'")
        rows.append(Example(row[0].strip(), row[1].strip()))
    return rows


def corpus_digest(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256()
    for example in examples:
        digest.update(f"{example.category}\t{example.text}\n".encode())
    return digest.hexdigest()


class Classifier:
    """A fitted pipeline and the version it was stored under (0 before it is stored)."""

    def __init__(self, pipeline: Any, version: int = 0) -> None:
        self._pipeline = pipeline
        self.version = version
        self.classes: list[str] = [str(c) for c in pipeline.classes_]
        from congdan.routing.scoring import Scorer

        self._scorer = Scorer.from_pipeline(pipeline)

    def rank(self, text: str, limit: int | None = None) -> list[Ranked]:
        """One text, as a request asks: through the scorer, the pipeline's arithmetic alone."""
        if self._scorer is None:
            return self.rank_many([text], limit)[0]
        return self._ranked(self._scorer.probabilities(text), limit)

    def rank_many(self, texts: Sequence[str], limit: int | None = None) -> list[list[Ranked]]:
        if not texts:
            return []
        return [self._ranked(row, limit) for row in self.probabilities(texts)]

    def _ranked(self, row: Any, limit: int | None) -> list[Ranked]:
        values = [float(p) for p in row]
        order = sorted(range(len(self.classes)), key=lambda i: -values[i])
        return [Ranked(self.classes[i], round(values[i], 4)) for i in order[:limit]]

    def probabilities(self, texts: Sequence[str]) -> Any:
        """The pipeline's predict_proba, computed step by step: FeatureUnion.transform would send
        each of our three vectorisers through joblib, and scikit-learn would check our own plain
        strings again at every step — together half the time of a single classification, which is
        what a request makes. A test holds the two ways equal."""
        from scipy.sparse import hstack
        from sklearn import config_context

        features = self._pipeline.named_steps["features"]
        model = self._pipeline.named_steps["model"]
        with config_context(assume_finite=True, skip_parameter_validation=True):
            matrix = hstack([step.transform(list(texts)) for _name, step in features.transformer_list])
            return model.predict_proba(matrix.tocsr())

    def dumps(self) -> bytes:
        return zlib.compress(pickle.dumps(self._pipeline, protocol=pickle.HIGHEST_PROTOCOL), 6)

    @classmethod
    def loads(cls, blob: bytes, version: int) -> Classifier:
        # The blob comes from our own trainer through our own database (see models/routing.py).
        return cls(pickle.loads(zlib.decompress(blob)), version)  # noqa: S301


def _build_pipeline(n_per_class_min: int) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), preprocessor=folded, sublinear_tf=True, min_df=1
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    preprocessor=folded,
                    token_pattern=WORD_PATTERN,
                    sublinear_tf=True,
                ),
            ),
            (
                "accented",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    preprocessor=normalise,
                    token_pattern=WORD_PATTERN,
                    sublinear_tf=True,
                ),
            ),
        ]
    )
    # A linear SVM fits in about a second here (logistic regression took forty for the same
    # accuracy); temperature scaling then turns its margins into probabilities.
    model = LinearSVC(C=1.0)
    folds = max(2, min(5, n_per_class_min))
    calibrated = CalibratedClassifierCV(model, method="temperature", cv=folds, ensemble=False)
    return Pipeline([("features", features), ("model", calibrated)])


def train(examples: Sequence[Example]) -> Classifier:
    counts = Counter(e.category for e in examples)
    if len(counts) < 2:
        raise CorpusError("training needs examples of at least two categories")
    pipeline = _build_pipeline(min(counts.values()))
    pipeline.fit([e.text for e in examples], [e.category for e in examples])
    return Classifier(pipeline)


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> Evaluation:
    if not examples:
        return Evaluation(0.0, 0.0, 0, {})
    ranked = classifier.rank_many([e.text for e in examples], limit=3)
    hits1 = hits3 = 0
    seen: dict[str, int] = defaultdict(int)
    right: dict[str, int] = defaultdict(int)
    pairs = []
    for example, ranks in zip(examples, ranked, strict=True):
        codes = [r.code for r in ranks]
        seen[example.category] += 1
        if ranks:
            pairs.append((ranks[0].confidence, ranks[0].code == example.category))
        if codes and codes[0] == example.category:
            hits1 += 1
            right[example.category] += 1
        if example.category in codes:
            hits3 += 1
    n = len(examples)
    per_category = {code: round(right[code] / seen[code], 4) for code in sorted(seen)}
    return Evaluation(round(hits1 / n, 4), round(hits3 / n, 4), n, per_category, tuple(pairs))


def training_corpus() -> list[Example]:
    return read_tsv(TRAIN_FILE)


def heldout_corpus() -> list[Example]:
    return read_tsv(HELDOUT_FILE)
