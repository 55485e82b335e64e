"""Text folding for search: no diacritics, đ/Đ to d, lower case, single spaces."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Embeddings, overrides and isolates reorder what is shown ("gpj.exe" read as "exe.jpg"); the
# page isolates each piece of user text instead (dir="auto"), so nothing typed needs them.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_NEWLINES = re.compile(r"\r\n?")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.lower()).strip()


def clean_plain_text(text: str) -> str:
    """NFC, no control characters except newlines and tabs, no bidi overrides, trimmed."""
    text = _NEWLINES.sub("\n", unicodedata.normalize("NFC", text))
    return _BIDI.sub("", _CONTROL.sub("", text)).strip()


def clean_line(text: str) -> str:
    """A name or a title: one line with no invisible characters at all.

    Every format character goes (zero-width spaces and joiners, direction marks, the BOM), so two
    names that look the same are the same; a line break becomes a space."""
    text = clean_plain_text(text)
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _SPACES.sub(" ", visible).strip()


def like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
