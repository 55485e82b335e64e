"""Every message the code can show has an English translation; Vietnamese is the source."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

import congdan
from congdan.kit.i18n import _catalogue, _plurals, negotiate, translate, translate_plural
from congdan.kit.text import fold
from congdan.reports.states import label


def _message_ids() -> set[str | tuple[str, ...]]:
    """Every message id of Python code and templates, extracted as babel.cfg says."""
    root = Path(congdan.__file__).parent
    templates = "web/templates/**.html"
    found = extract_from_dir(
        str(root),
        method_map=[("**.py", "python"), (templates, "jinja2")],
        options_map={templates: {"extensions": "jinja2.ext.i18n"}},
        keywords={"_": None, "gettext": None, "N_": (1, 2), "ngettext": (1, 2)},
    )
    return {msg[2] for msg in found}


def test_every_message_is_translated_to_english() -> None:
    ids = _message_ids()
    catalogue = _catalogue("en")
    missing = sorted(str(i) for i in ids if isinstance(i, str) and i not in catalogue)
    assert missing == []
    assert len(ids) > 50


def test_template_text_is_extracted_and_translated() -> None:
    ids = _message_ids()
    assert "Tin tức và thông báo" in ids  # from {% trans %} blocks
    text = "Phản ánh, góp ý với chính quyền thành phố — và theo dõi đến khi có kết quả."
    assert text in ids and translate(text, "en").startswith("Report problems")


def test_every_plural_message_has_both_english_forms() -> None:
    plurals = [i for i in _message_ids() if isinstance(i, tuple)]
    assert plurals
    english = _plurals("en")
    missing = [p[0] for p in plurals if len(english.get(str(p[0]), ())) != 2]
    assert missing == []
    assert translate_plural(*plurals[0][:2], 1, "en") != translate_plural(*plurals[0][:2], 2, "en")


def test_the_template_file_is_true() -> None:
    """messages.pot holds exactly the ids the code and templates use (regenerate it with pybabel extract)."""
    pot = Path(congdan.__file__).parent / "locales" / "messages.pot"
    with pot.open("rb") as fh:
        ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(fh) if m.id}
    assert ids == _message_ids()


def test_no_fuzzy_translation_is_left() -> None:
    po = Path(congdan.__file__).parent / "locales" / "en" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        assert [m.id for m in read_po(fh) if m.id and m.fuzzy] == []


def test_a_phrase_parameter_is_translated_with_its_message() -> None:
    message = "Không thể chuyển phản ánh từ trạng thái «%(current)s» sang «%(target)s»."
    text = translate(message, "en", current=label("in_progress"), target=label("closed"))
    assert "«In progress»" in text and "«Closed»" in text
    assert translate(message, "vi", current=label("in_progress"), target="x").startswith(
        "Không thể chuyển phản ánh từ trạng thái «Đang xử lý»"
    )


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
