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


@cache
def _catalogue(locale: str) -> dict[str, str]:
    path = _LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string and isinstance(m.string, str)}


def translate(message: str, locale: str, **params: object) -> str:
    text = message if locale == DEFAULT_LOCALE else _catalogue(locale).get(message, message)
    return text % params if params else text


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
