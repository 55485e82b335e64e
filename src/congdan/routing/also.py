"""A message that names two problems: its main one goes with the report, and the second is
offered to the resident as "also report …?".

The message is cut where residents start another matter: after a sentence, or at words such as
"ngoài ra", "thêm nữa", "bên cạnh đó", "đồng thời", "chưa kể" (with or without diacritics). Each
part is classified on its own; a part whose category differs from the whole message's, is not
`other`, is sure enough and is like the training examples is the second problem. A comma alone,
"và" or "còn" do not cut: residents use them inside one problem ("ổ gà to và sâu").
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from congdan.categories.data import OTHER
from congdan.kit.text import fold
from congdan.routing.classifier import CORPUS_DIR, Classifier, CorpusError
from congdan.routing.evaluation import unlike_any

TWO_PROBLEMS_FILE = CORPUS_DIR / "two_problems.tsv"
# A part below this confidence is not offered: a wrong offer costs the resident a second form.
MIN_CONFIDENCE = 0.6
# A part shorter than this many words says too little to be a problem of its own.
MIN_WORDS = 3

_MARKERS = (
    "ngoai ra",
    "them nua",
    "them vao do",
    "ben canh do",
    "dong thoi",
    "chua ke",
    "mot viec nua",
    "con mot viec",
)
_CUT = re.compile(r"[.;!?\n]+\s*|\b(?:" + "|".join(_MARKERS) + r")\b[\s,:]*")


@dataclass(frozen=True)
class Also:
    code: str
    confidence: float
    text: str  # the part of the message about it, as the resident wrote it


def _folded_by_character(text: str) -> str:
    """The text folded one character at a time, so that positions in it are positions in `text`."""
    return "".join(" " if c.isspace() else (fold(c) or c)[:1] for c in text)


def parts(text: str) -> list[str]:
    """The message's parts, each as written, long enough to be a problem of its own."""
    text = unicodedata.normalize("NFC", text)
    pieces, start = [], 0
    for cut in _CUT.finditer(_folded_by_character(text)):
        pieces.append(text[start : cut.start()])
        start = cut.end()
    pieces.append(text[start:])
    kept = []
    for piece in pieces:
        piece = piece.strip(" ,:-–")
        if len(piece.split()) >= MIN_WORDS:
            kept.append(piece)
    return kept


def second_problem(
    classifier: Classifier, text: str, main: str | None, *, min_similarity: float | None = None
) -> Also | None:
    """The other problem the message names, if one part is surely about another category."""
    if main is None:
        return None
    pieces = parts(text)
    if len(pieces) < 2:
        return None
    best: Also | None = None
    for piece, judged in zip(pieces, [classifier.judge(p, 1) for p in pieces], strict=True):
        if not judged.ranked:
            continue
        top = judged.ranked[0]
        if top.code in (main, OTHER) or top.confidence < MIN_CONFIDENCE:
            continue
        if unlike_any(judged.similarity, min_similarity):
            continue
        if best is None or top.confidence > best.confidence:
            best = Also(top.code, top.confidence, piece)
    return best


# ---- measuring it ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwoProblems:
    main: str
    second: str
    text: str


def read_two_problems(path: Path = TWO_PROBLEMS_FILE) -> list[TwoProblems]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if next(reader, None) != ["main", "second", "text"]:
            raise CorpusError(f"{path}: the first line must be 'main<TAB>second<TAB>text'")
        return [TwoProblems(*row) for row in reader if row]


@dataclass(frozen=True)
class AlsoFigures:
    n: int
    both_found: float  # the whole message's category and the offer are the two problems
    n_single: int
    false_offers: float  # messages about one problem that were offered a second


def measure(
    classifier: Classifier, two: Sequence[TwoProblems], single: Sequence[str], min_similarity: float | None
) -> AlsoFigures:
    def offered(text: str) -> tuple[str | None, Also | None]:
        """The whole message's category, and the second problem offered beside it."""
        ranked = classifier.rank(text, 1)
        main = ranked[0].code if ranked else None
        return main, second_problem(classifier, text, main, min_similarity=min_similarity)

    found = 0
    for row in two:
        main, offer = offered(row.text)
        if offer is not None and {main, offer.code} == {row.main, row.second}:
            found += 1
    offers = sum(1 for text in single if offered(text)[1] is not None)
    return AlsoFigures(
        len(two), found / len(two) if two else 0.0, len(single), offers / len(single) if single else 0.0
    )
