"""Every message the code can show has an English translation; Vietnamese is the source."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from hypothesis import given
from hypothesis import strategies as st

import congdan
from congdan.kit.i18n import _catalogue, negotiate, translate
from congdan.kit.text import fold


def test_every_message_is_translated_to_english() -> None:
    root = Path(congdan.__file__).parent
    ids = {
        msg[2] for msg in extract_from_dir(str(root), method_map=[("**.py", "python")], keywords={"_": None})
    }
    catalogue = _catalogue("en")
    missing = sorted(str(i) for i in ids if isinstance(i, str) and i not in catalogue)
    assert missing == []
    assert len(ids) > 50


def test_translation_falls_back_to_vietnamese_and_fills_params() -> None:
    assert translate("Tối đa %(n)s ảnh.", "en", n=5) == "At most 5 photos."
    assert translate("Tối đa %(n)s ảnh.", "vi", n=5) == "Tối đa 5 ảnh."


def test_accept_language_negotiation() -> None:
    assert negotiate(None) == "vi"
    assert negotiate("en") == "en"
    assert negotiate("fr-FR, en;q=0.5, vi;q=0.9") == "vi"
    assert negotiate("de, fr") == "vi"
    assert negotiate("en;q=0, vi") == "vi"


def test_fold_removes_diacritics_and_d_stroke() -> None:
    assert fold("Đường Lê Lợi ngập NẶNG") == "duong le loi ngap nang"
    assert fold("hoà  hòa") == "hoa hoa"


@given(st.text())
def test_fold_is_idempotent_and_ascii_for_vietnamese(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert "đ" not in once and "Đ" not in once
