"""What routing would do with each held-out message, and the two numbers chosen from that: the
confidence threshold under which a person decides, and the similarity cut-off under which a text
is unlike anything the classifier was taught ("none of these").

A message is routed with no human when its top category is a named one (not `other`, which always
goes to triage), its similarity to the nearest training example reaches the cut-off and its
confidence reaches the threshold. It is misrouted when it is routed and the category is wrong;
every out-of-scope message that is routed is misrouted. Shares are of all messages.

The cut-off is set so that at most `MAX_REFUSED` of the in-scope held-out messages fall under it;
the threshold is the lowest that keeps the misrouted share under the goal. Both are chosen on
the same rows they are measured on, which flatters them, so `cross_checked` also chooses on one
half and measures on the other, both ways.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from congdan.categories.data import OTHER
from congdan.routing.calibration import MAX_MISROUTED, choose_threshold, curve, default_thresholds

# The held-out label of a message that belongs to no category at all.
OUT_OF_SCOPE = "none"
# At most this share of in-scope messages may be taken for "none of these".
MAX_REFUSED = 0.02
# The confidence given on the curve to a message that is never routed, whatever the threshold.
_NEVER = -1.0


@dataclass(frozen=True)
class Row:
    label: str
    styles: frozenset[str]
    top: str | None
    confidence: float
    similarity: float | None

    @property
    def in_scope(self) -> bool:
        return self.label != OUT_OF_SCOPE


@dataclass(frozen=True)
class Choice:
    threshold: float
    min_similarity: float | None


@dataclass(frozen=True)
class Outcome:
    n: int
    routed: int
    wrong: int
    out_of_scope: int
    out_of_scope_held: int  # out-of-scope messages that went to a person

    @property
    def auto_routed(self) -> float:
        return self.routed / self.n if self.n else 0.0

    @property
    def misrouted(self) -> float:
        return self.wrong / self.n if self.n else 0.0

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(
            self.n + other.n,
            self.routed + other.routed,
            self.wrong + other.wrong,
            self.out_of_scope + other.out_of_scope,
            self.out_of_scope_held + other.out_of_scope_held,
        )


def unlike_any(similarity: float | None, min_similarity: float | None) -> bool:
    return similarity is not None and min_similarity is not None and similarity < min_similarity


def routable(row: Row, min_similarity: float | None) -> bool:
    """Whether any threshold could route it: a named category, and like the training examples."""
    return row.top is not None and row.top != OTHER and not unlike_any(row.similarity, min_similarity)


def routed(row: Row, choice: Choice) -> bool:
    return routable(row, choice.min_similarity) and row.confidence >= choice.threshold


def outcome(rows: Sequence[Row], choice: Choice) -> Outcome:
    sent = [r for r in rows if routed(r, choice)]
    outside = [r for r in rows if not r.in_scope]
    return Outcome(
        n=len(rows),
        routed=len(sent),
        wrong=sum(1 for r in sent if r.top != r.label),
        out_of_scope=len(outside),
        out_of_scope_held=sum(1 for r in outside if not routed(r, choice)),
    )


def choose_cutoff(rows: Sequence[Row], max_refused: float = MAX_REFUSED) -> float | None:
    """The highest cut-off with at most `max_refused` of the in-scope messages under it."""
    similarities = sorted(r.similarity for r in rows if r.in_scope and r.similarity is not None)
    if not similarities:
        return None
    return similarities[int(max_refused * len(similarities))]


def choose(
    rows: Sequence[Row], max_misrouted: float = MAX_MISROUTED, max_refused: float = MAX_REFUSED
) -> Choice | None:
    """The cut-off, then the lowest threshold under the misrouting goal; None if none meets it."""
    cutoff = choose_cutoff(rows, max_refused)
    # The calibration curve over what routing would do: a message no threshold routes counts for
    # none, and a routed out-of-scope message is wrong (its label is no category).
    pairs = [(r.confidence if routable(r, cutoff) else _NEVER, r.top == r.label) for r in rows]
    point = choose_threshold(curve(pairs, default_thresholds()), max_misrouted)
    return None if point is None else Choice(point.threshold, cutoff)


def cross_checked(rows: Sequence[Row]) -> Outcome | None:
    """Chosen on every other row and measured on the rest, then the other way round, pooled."""
    halves = (list(rows[0::2]), list(rows[1::2]))
    pooled = Outcome(0, 0, 0, 0, 0)
    for pick, check in (halves, halves[::-1]):
        choice = choose(pick)
        if choice is None or not check:
            return None
        pooled = pooled + outcome(check, choice)
    return pooled


@dataclass(frozen=True)
class StyleFigures:
    n: int
    top1: float
    auto_routed: float
    misrouted: float


def per_style(rows: Sequence[Row], choice: Choice | None) -> dict[str, StyleFigures]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row.in_scope:
            for style in row.styles:
                grouped[style].append(row)
    figures = {}
    for style in sorted(grouped):
        members = grouped[style]
        result = outcome(members, choice) if choice else Outcome(len(members), 0, 0, 0, 0)
        top1 = sum(1 for r in members if r.top == r.label) / len(members)
        figures[style] = StyleFigures(len(members), round(top1, 4), result.auto_routed, result.misrouted)
    return figures
