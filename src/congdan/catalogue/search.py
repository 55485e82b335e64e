"""The in-process search index over the current versions: folded text, fuzzy scores by rapidfuzz.

The catalogue is a few hundred rows at most, so every process keeps it all in memory and scores
every entry; the index is rebuilt when the database's stamp (latest edit, row count) changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz

from congdan.catalogue.data import FIELDS
from congdan.kit.text import fold
from congdan.models import ProcedureVersion

# Below this a match is noise: "xay nha" must not bring up every procedure with an "a" in it.
_CUTOFF = 72.0


@dataclass(frozen=True)
class Card:
    """What a result list shows, copied out of the row so the index outlives its session."""

    code: str
    name: str
    field: str
    level: str
    online_mode: str
    processing_days: int
    fee_text: str
    life_events: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    card: Card
    name: str
    terms: tuple[str, ...]  # keywords, then the field's name


@dataclass(frozen=True)
class Index:
    stamp: tuple[datetime | None, int]
    entries: tuple[Entry, ...]


def card(v: ProcedureVersion) -> Card:
    return Card(
        v.procedure_code,
        v.name,
        v.field,
        v.level,
        v.online_mode,
        v.processing_days,
        v.fee_text,
        tuple(v.content.get("life_events", [])),
    )


def build(stamp: tuple[datetime | None, int], versions: list[ProcedureVersion]) -> Index:
    entries = []
    for v in versions:
        keywords = [fold(k) for k in v.content.get("keywords", [])]
        terms = (*keywords, fold(FIELDS.get(v.field, v.field)), v.procedure_code.lower())
        entries.append(Entry(card(v), fold(v.name), terms))
    return Index(stamp, tuple(entries))


def _score(query: str, entry: Entry) -> float:
    # The name counts most; a keyword ("sổ đỏ") almost as much; partial matches let a short query
    # ("khai sinh") find a long name.
    name = max(fuzz.WRatio(query, entry.name), fuzz.token_set_ratio(query, entry.name))
    terms = max((fuzz.WRatio(query, t) for t in entry.terms), default=0.0)
    return max(name, terms * 0.97)


def search(
    index: Index, query: str = "", field: str | None = None, life_event: str | None = None, limit: int = 50
) -> list[Card]:
    chosen = [
        e
        for e in index.entries
        if (field is None or e.card.field == field)
        and (life_event is None or life_event in e.card.life_events)
    ]
    folded = fold(query)
    if not folded:
        return [e.card for e in chosen[:limit]]
    scored = [(s, e) for e in chosen if (s := _score(folded, e)) >= _CUTOFF]
    scored.sort(key=lambda pair: (-pair[0], pair[1].card.code))
    return [e.card for _s, e in scored[:limit]]
