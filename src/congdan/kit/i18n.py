"""Messages in the caller's language. Vietnamese is the source language; catalogues translate it.

Message ids are the Vietnamese text itself, so an untranslated message still reads correctly
to the default audience. Catalogues are gettext .po files read with Babel.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"


def _(message: str) -> str:
    """Marks a message for extraction; translation happens when it is shown."""
    return message


class Phrase(str):
    """A message id passed as a parameter of another message: translated with it, not shown as is."""

    __slots__ = ()


def _translated(params: dict[str, object], locale: str) -> dict[str, object]:
    return {k: translate(v, locale) if isinstance(v, Phrase) else v for k, v in params.items()}


@cache
def _read(locale: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Singular messages and plural ones (keyed by their singular id) of one locale's catalogue."""
    path = _LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    singular: dict[str, str] = {}
    plural: dict[str, tuple[str, ...]] = {}
    if not path.exists():
        return singular, plural
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    for m in catalog:
        if not m.id or not m.string:
            continue
        if isinstance(m.id, str) and isinstance(m.string, str):
            singular[m.id] = m.string
        elif isinstance(m.id, tuple | list) and all(m.string):
            plural[str(m.id[0])] = tuple(str(form) for form in m.string)
    return singular, plural


def _catalogue(locale: str) -> dict[str, str]:
    return _read(locale)[0]


def _plurals(locale: str) -> dict[str, tuple[str, ...]]:
    return _read(locale)[1]


# A message id: the Vietnamese text, or a (singular, plural) pair from N_ counted by its %(n)s.
Message = str | tuple[str, str]


def catalogue_has(message: str) -> bool:
    """Whether a text is a message id of the catalogue (so it may be shown, translated)."""
    return bool(message) and message in _catalogue("en")


def translate(message: Message, locale: str, **params: object) -> str:
    if isinstance(message, tuple):
        count = params.get("n")
        return translate_plural(*message, count if isinstance(count, int) else 0, locale, **params)
    text = message if locale == DEFAULT_LOCALE else _catalogue(locale).get(message, message)
    return text % _translated(params, locale) if params else text


def translate_plural(singular: str, plural: str, n: int, /, locale: str, **params: object) -> str:
    """Vietnamese has one form; English two (n == 1 or not). `n` fills %(n)s unless params name it."""
    params = {"n": n, **_translated(params, locale)}
    forms = () if locale == DEFAULT_LOCALE else _plurals(locale).get(singular, ())
    text = singular if not forms else forms[0] if n == 1 or len(forms) == 1 else forms[1]
    return text % params


def N_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a plural message for extraction (the pair is translated when shown)."""
    return singular, plural


def bilingual(message: str) -> str:
    """Both languages at once, for what has no caller to ask (descriptions in the OpenAPI document)."""
    return f"{message} / {translate(message, 'en')}"


def negotiate(accept_language: str | None) -> str:
    """Picks vi or en from an Accept-Language header by quality; Vietnamese when unsure."""
    if not accept_language:
        return DEFAULT_LOCALE
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for param in pieces[1:]:
            name, _sep, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LOCALES and quality > 0:
            choices.append((-quality, index, tag))
    return sorted(choices)[0][2] if choices else DEFAULT_LOCALE
