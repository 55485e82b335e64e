"""How a resident wrote a message, told from plain markers, so that the held-out figures can be
read by style: a classifier that does well on tidy sentences may still fail the formal letters,
the chat shorthand or the text typed without diacritics that residents really send.

The markers are deliberately simple and visible here; a message may have several styles, and one
with none of them is "plain". Each style's markers are matched on the folded text (no diacritics,
lower case), except the absence of diacritics itself.
"""

from __future__ import annotations

import re

from congdan.kit.text import fold

PLAIN = "plain"
STYLES = (
    "formal",
    "short",
    "long",
    "no_diacritics",
    "shorthand",
    "english",
    "two_problems",
    "sarcasm",
    "wrong_agency",
    PLAIN,
)

_WORD = re.compile(r"\w+", re.UNICODE)
_FORMAL = ("kinh gui", "kinh thua", "tran trong", "xin tran trong", "kinh de nghi", "kinh mong")
_SHORTHAND = frozenset(
    [
        "ko",
        "k",
        "hok",
        "khum",
        "dc",
        "j",
        "bik",
        "wa",
        "ns",
        "vs",
        "z",
        "lun",
        "mn",
        "ae",
        "sdt",
        "ib",
        "bn",
        "hnay",
        "cx",
        "cug",
        "thui",
        "ik",
        "ak",
        "dzay",
        "trc",
        "nc",
    ]
)
_ENGLISH = frozenset(
    [
        "please",
        "the",
        "is",
        "are",
        "street",
        "road",
        "water",
        "light",
        "lights",
        "broken",
        "help",
        "fix",
        "noise",
        "traffic",
        "power",
        "bus",
        "garbage",
        "trash",
        "flood",
        "flooded",
        "sidewalk",
        "pothole",
        "thanks",
    ]
)
_SECOND_PROBLEM = ("ngoai ra", "them nua", "con nua", "ben canh do", "dong thoi", "chua ke", "them vao do")
_SARCASM = ("=))", ":))", "tuyet voi that", "hay that", "gioi that", "qua dinh", "cam on vi", "chuc mung")
# Whom a message is addressed to, and the fields that addressee handles. A message addressed to
# one of these about another field names the wrong agency; the category must come from the text.
_ADDRESSEES: dict[str, frozenset[str]] = {
    "dien luc": frozenset({"electricity"}),
    "cap nuoc": frozenset({"water_supply"}),
    "sawaco": frozenset({"water_supply"}),
    "cong an": frozenset({"public_order", "noise", "traffic_congestion", "sidewalk_encroachment"}),
    "vien thong": frozenset({"telecom"}),
    "nha mang": frozenset({"telecom"}),
    "so khoa hoc": frozenset({"telecom"}),
    "so y te": frozenset({"food_safety_health"}),
    "an toan thuc pham": frozenset({"food_safety_health"}),
    "so tai nguyen": frozenset({"pollution", "garbage"}),
    "moi truong": frozenset({"pollution", "garbage"}),
    "xe buyt": frozenset({"public_transport"}),
    "so xay dung": frozenset(
        {
            "road_damage",
            "illegal_construction",
            "sidewalk_encroachment",
            "street_lighting",
            "trees",
            "flooding_drainage",
            "traffic_signal",
            "traffic_congestion",
            "public_transport",
        }
    ),
}
_ADDRESSED = re.compile(r"^\s*(?:kinh\s+)?gui\s+(.{0,40})")


def styles_of(text: str, category: str | None = None) -> frozenset[str]:
    """The styles of one message; `category`, its true label, is needed only to tell whether it
    names the wrong agency."""
    plain = fold(text)
    words = _WORD.findall(plain)
    found: set[str] = set()
    if any(marker in plain for marker in _FORMAL):
        found.add("formal")
    if len(words) <= 4:
        found.add("short")
    if len(words) >= 40:
        found.add("long")
    if len(words) >= 3 and plain == " ".join(text.lower().split()):
        found.add("no_diacritics")
    if any(w in _SHORTHAND for w in words):
        found.add("shorthand")
    if sum(1 for w in words if w in _ENGLISH) >= 2:
        found.add("english")
    if any(marker in plain for marker in _SECOND_PROBLEM):
        found.add("two_problems")
    if any(marker in plain for marker in _SARCASM):
        found.add("sarcasm")
    if category is not None:
        addressed = _ADDRESSED.match(plain)
        if addressed:
            handled = [fields for name, fields in _ADDRESSEES.items() if name in addressed.group(1)]
            if handled and not any(category in fields for fields in handled):
                found.add("wrong_agency")
    return frozenset(found or {PLAIN})
