"""Bring what residents type to one form before the classifier sees it.

The same complaint arrives as "Đường bị ngập, xe ko đi đc", "duong bi ngap xe k di dc" and
"đường bị ngập wá". We put everything into NFC with one tone-mark placement, lower case, and
spell out the chat shorthand, so that the features only have to learn the words once. The
classifier also looks at the folded form (no diacritics), which makes text typed without them
meet text typed with them.
"""

from __future__ import annotations

import re
import unicodedata

from congdan.kit.text import fold

# Old style puts the tone on the first vowel of "oa", "oe", "uy" in an open syllable ("hòa"),
# new style on the second ("hoà"). Both are everywhere; we keep the old style.
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
_NEW_STYLE = re.compile(
    rf"([oO])([aAeE])([{_TONES}])(?![a-zA-Z])|(?<![qQ])([uU])([yY])([{_TONES}])(?![a-zA-Z])"
)

# Whole-word shorthand as residents type it in chats and comments, always to the accented word.
# Words that are also real words once diacritics are dropped ("hong" is "hỏng", "hem" is "hẻm",
# "ca" is a shift) are deliberately absent.
SHORTHAND: dict[str, str] = {
    "ko": "không",
    "k": "không",
    "kh": "không",
    "khg": "không",
    "kg": "không",
    "hok": "không",
    "hông": "không",
    "dc": "được",
    "đc": "được",
    "dk": "được",
    "đk": "được",
    "j": "gì",
    "ji": "gì",
    "ng": "người",
    "nguoi": "người",
    "mn": "mọi người",
    "nc": "nước",
    "vs": "với",
    "r": "rồi",
    "z": "vậy",
    "v": "vậy",
    "bt": "biết",
    "trc": "trước",
    "bh": "bao giờ",
    "lm": "làm",
    "ns": "nói",
    "hqua": "hôm qua",
    "hnay": "hôm nay",
    "tg": "thời gian",
    "tgian": "thời gian",
    "đt": "điện thoại",
    "cty": "công ty",
    "sn": "số nhà",
    "qa": "quá",
    "wa": "quá",
    "wá": "quá",
    "ak": "à",
    "ah": "à",
    "cq": "cơ quan",
    "cqcn": "cơ quan chức năng",
    "ubnd": "ủy ban nhân dân",
    "ub": "ủy ban",
    "tp": "thành phố",
    "tphcm": "thành phố hồ chí minh",
    "hcm": "hồ chí minh",
    "sg": "sài gòn",
    "p": "phường",
    "q": "quận",
    "x": "xã",
    "kp": "khu phố",
    "csgt": "cảnh sát giao thông",
    "xm": "xe máy",
    "oto": "ô tô",
    "ôtô": "ô tô",
}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Teencode spells "qu" as "w" and "ph" as "f" at the start of a word ("wá", "fường").
_TEEN_W = re.compile(r"\bw(?=[aăâeêiouơưyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ])")
_TEEN_F = re.compile(r"\bf(?=\w)")
_REPEATS = re.compile(r"(\w)\1{2,}")  # "quáaaa" → "quáa" is still noise; keep at most two
_SPACES = re.compile(r"\s+")


def _tone_to_old_style(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)

    def move(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1) + match.group(3) + match.group(2)
        return match.group(4) + match.group(6) + match.group(5)

    return unicodedata.normalize("NFC", _NEW_STYLE.sub(move, decomposed))


def normalise(text: str) -> str:
    """One spelling for the same words: NFC, old-style tones, lower case, shorthand spelled out."""
    text = _tone_to_old_style(unicodedata.normalize("NFC", text)).lower()
    text = _REPEATS.sub(r"\1\1", text)
    text = _TEEN_W.sub("qu", text)
    text = _TEEN_F.sub("ph", text)
    words = [SHORTHAND.get(w, w) for w in _WORD.findall(text)]
    return _SPACES.sub(" ", " ".join(words)).strip()


def folded(text: str) -> str:
    """The normalised text without diacritics: what matches text typed without them."""
    return fold(normalise(text))
