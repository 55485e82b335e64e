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

import numpy as np

from congdan.routing.calibration import expected_calibration_error, reliability
from congdan.routing.evaluation import OUT_OF_SCOPE, Choice, Row, choose, cross_checked, outcome, per_style
from congdan.routing.normalise import folded, normalise
from congdan.routing.styles import styles_of

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
TRAIN_FILE = CORPUS_DIR / "train.tsv"
HELDOUT_FILE = CORPUS_DIR / "heldout.tsv"
# Single-letter words count too: "q 3", "p 5" are districts and wards once shorthand is spelled out.
WORD_PATTERN = r"(?u)\b\w+\b"
# A feature shared by more than this share of the training examples takes no part in "none of these".
DISTINCTIVE_SHARE = 0.1


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
    n: int  # in-scope rows; top-1, top-3 and the recalls are over them
    per_category: dict[str, float]  # recall of each category present in the file
    # (top-1 confidence, top-1 right) for every in-scope row: what calibration comes from.
    pairs: tuple[tuple[float, bool], ...] = ()
    # every row, out-of-scope ones too: what the threshold and the cut-off come from
    rows: tuple[Row, ...] = ()

    def choice(self) -> Choice | None:
        return choose(self.rows)

    def as_dict(self) -> dict[str, Any]:
        table = reliability(self.pairs)
        chosen = self.choice()
        measured = outcome(self.rows, chosen) if chosen else None
        checked = cross_checked(self.rows)
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
            "min_similarity": None if chosen is None else _rounded(chosen.min_similarity),
            "auto_routed": None if measured is None else round(measured.auto_routed, 4),
            "misrouted": None if measured is None else round(measured.misrouted, 4),
            "out_of_scope": None if measured is None else measured.out_of_scope,
            "out_of_scope_held": None if measured is None else measured.out_of_scope_held,
            # chosen on one half of the rows, measured on the other
            "cross_checked": None
            if checked is None
            else {"auto_routed": round(checked.auto_routed, 4), "misrouted": round(checked.misrouted, 4)},
            "per_style": {
                style: {
                    "n": f.n,
                    "top1": f.top1,
                    "auto_routed": round(f.auto_routed, 4),
                    "misrouted": round(f.misrouted, 4),
                }
                for style, f in per_style(self.rows, chosen).items()
            },
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


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


@dataclass(frozen=True)
class Judged:
    """One text's ranking, and how close it comes to the nearest training example (cosine of
    their features, 0–1; None when the version keeps no training features)."""

    ranked: list[Ranked]
    similarity: float | None


class Classifier:
    """A fitted pipeline and the version it was stored under (0 before it is stored).

    It may also keep the training examples' distinctive features (those at most a tenth of the
    examples share), one unit-length row each, to tell text unlike anything it was taught ("none of
    these") from text that is merely hard to place; and the routing threshold and similarity
    cut-off chosen for it from the held-out split. Common features are left out of the similarity:
    they say little about which example is nearest and are most of the arithmetic."""

    def __init__(
        self,
        pipeline: Any,
        version: int = 0,
        neighbours: Any = None,
        *,
        threshold: float | None = None,
        min_similarity: float | None = None,
    ) -> None:
        self._pipeline = pipeline
        self.version = version
        self.classes: list[str] = [str(c) for c in pipeline.classes_]
        # features × examples (CSR), so that one text's columns pick rows; its rows of common
        # features are empty
        self._neighbours = neighbours
        self.threshold = threshold
        self.min_similarity = min_similarity
        from congdan.routing.scoring import Scorer

        self._scorer = Scorer.from_pipeline(pipeline)

    def rank(self, text: str, limit: int | None = None) -> list[Ranked]:
        """One text, as a request asks: through the scorer, the pipeline's arithmetic alone."""
        return self.judge(text, limit).ranked

    def judge(self, text: str, limit: int | None = None) -> Judged:
        if self._scorer is None:
            return self.judge_many([text], limit)[0]
        columns, values = self._scorer.features(text)
        ranked = self._ranked(self._scorer.probabilities_of(columns, values), limit)
        similarity = None if self._neighbours is None else self._nearest(columns, values)
        return Judged(ranked, similarity)

    def _nearest(self, columns: Any, values: Any) -> float:
        """The cosine to the nearest training example, from the rows of the text's own features:
        gathered straight from the CSR arrays, which costs a tenth of slicing the matrix."""
        matrix = self._neighbours
        starts = matrix.indptr[columns]
        lengths = matrix.indptr[columns + 1] - starts
        distinctive = lengths > 0  # a common feature's row is empty
        starts, lengths, values = starts[distinctive], lengths[distinctive], values[distinctive]
        norm = float(np.sqrt(values @ values)) if len(values) else 0.0
        if not norm:
            return 0.0
        total = int(lengths.sum())
        # the positions of every stored entry of the chosen rows, in one array
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
        weights = matrix.data[offsets] * np.repeat(values / norm, lengths)
        scores = np.bincount(matrix.indices[offsets], weights=weights, minlength=matrix.shape[1])
        return min(1.0, float(scores.max()))

    def judge_many(self, texts: Sequence[str], limit: int | None = None) -> list[Judged]:
        from scipy.sparse import diags

        if not texts:
            return []
        rows = [self._ranked(row, limit) for row in self.probabilities(texts)]
        if self._neighbours is None:
            return [Judged(r, None) for r in rows]
        distinctive = diags((np.diff(self._neighbours.indptr) > 0).astype(np.float64))
        features = _unit_rows(self._features(texts) @ distinctive)
        closest = (features @ self._neighbours).max(axis=1).toarray().ravel()
        return [Judged(r, min(1.0, float(s))) for r, s in zip(rows, closest, strict=True)]

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
        from sklearn import config_context

        model = self._pipeline.named_steps["model"]
        with config_context(assume_finite=True, skip_parameter_validation=True):
            return model.predict_proba(self._features(texts))

    def _features(self, texts: Sequence[str]) -> Any:
        from scipy.sparse import hstack
        from sklearn import config_context

        features = self._pipeline.named_steps["features"]
        with config_context(assume_finite=True, skip_parameter_validation=True):
            return hstack([step.transform(list(texts)) for _name, step in features.transformer_list]).tocsr()

    def with_neighbours(self, texts: Sequence[str]) -> Classifier:
        """The same classifier keeping these texts' distinctive features as its neighbours."""
        from scipy.sparse import diags

        features = self._features(texts)
        shared_by = np.diff(features.tocsc().indptr)
        distinctive = diags((shared_by <= max(3, DISTINCTIVE_SHARE * len(texts))).astype(np.float64))
        neighbours = _unit_rows(features @ distinctive).T.tocsr()
        neighbours.eliminate_zeros()
        return Classifier(self._pipeline, self.version, neighbours)

    def dumps(self) -> bytes:
        payload = {"pipeline": self._pipeline, "neighbours": self._neighbours}
        return zlib.compress(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL), 6)

    @classmethod
    def loads(
        cls, blob: bytes, version: int, *, threshold: float | None = None, min_similarity: float | None = None
    ) -> Classifier:
        # The blob comes from our own trainer through our own database (see models/routing.py).
        # Versions stored before neighbours were kept hold the bare pipeline.
        payload = pickle.loads(zlib.decompress(blob))  # noqa: S301
        if isinstance(payload, dict):
            return cls(
                payload["pipeline"],
                version,
                payload.get("neighbours"),
                threshold=threshold,
                min_similarity=min_similarity,
            )
        return cls(payload, version, threshold=threshold, min_similarity=min_similarity)


def _unit_rows(matrix: Any) -> Any:
    """Each row scaled to length 1 (a row of zeros stays zeros)."""
    from scipy.sparse import diags

    lengths = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    lengths[lengths == 0] = 1.0
    return diags(1.0 / lengths) @ matrix


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
    texts = [e.text for e in examples]
    pipeline.fit(texts, [e.category for e in examples])
    return Classifier(pipeline).with_neighbours(texts)


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> Evaluation:
    """Top-1, top-3 and recalls over the rows of a known category; every row, those labelled
    `none` (out of scope) too, as routing would treat it."""
    if not examples:
        return Evaluation(0.0, 0.0, 0, {})
    judged = classifier.judge_many([e.text for e in examples], limit=3)
    hits1 = hits3 = 0
    seen: dict[str, int] = defaultdict(int)
    right: dict[str, int] = defaultdict(int)
    pairs = []
    rows = []
    for example, verdict in zip(examples, judged, strict=True):
        ranks = verdict.ranked
        codes = [r.code for r in ranks]
        rows.append(
            Row(
                label=example.category,
                styles=styles_of(example.text, example.category),
                top=codes[0] if codes else None,
                confidence=ranks[0].confidence if ranks else 0.0,
                similarity=verdict.similarity,
            )
        )
        if example.category == OUT_OF_SCOPE:
            continue
        seen[example.category] += 1
        if ranks:
            pairs.append((ranks[0].confidence, ranks[0].code == example.category))
        if codes and codes[0] == example.category:
            hits1 += 1
            right[example.category] += 1
        if example.category in codes:
            hits3 += 1
    n = sum(seen.values())
    per_category = {code: round(right[code] / seen[code], 4) for code in sorted(seen)}
    if not n:
        return Evaluation(0.0, 0.0, 0, {}, (), tuple(rows))
    return Evaluation(round(hits1 / n, 4), round(hits3 / n, 4), n, per_category, tuple(pairs), tuple(rows))


def training_corpus() -> list[Example]:
    return read_tsv(TRAIN_FILE)


def heldout_corpus() -> list[Example]:
    return read_tsv(HELDOUT_FILE)
