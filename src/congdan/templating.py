"""The one Jinja2 environment for every page and email: autoescaping always on, CSRF and CSP helpers
as globals, text translated by the Babel catalogue.

Every HTML surface and message renders through `templates` so that it inherits these protections.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context
from markupsafe import Markup, escape

from congdan.db import utcnow
from congdan.kit.i18n import DEFAULT_LOCALE, translate, translate_plural
from congdan.reports.deadlines import time_left
from congdan.security.csrf import FIELD, csrf_token
from congdan.security.headers import nonce_of

TEMPLATE_DIR = Path(__file__).parent / "web" / "templates"

# autoescape=True escapes in every template whatever its file name (.html, .txt, .xml …).
# The i18n extension gives {% trans %} blocks; their text and _() calls go through the Babel catalogue
# in the locale the page is rendered in (the context's `locale`, Vietnamese when absent).
templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, extensions=["jinja2.ext.i18n"])
)


@pass_context
def csrf_field(context: Any) -> Markup:
    """The hidden input every POST form must carry."""
    token = csrf_token(context["request"])
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(token))


@pass_context
def csrf_value(context: Any) -> str:
    """The raw token, for HTMX's hx-headers='{"X-CSRF-Token": "…"}'."""
    return csrf_token(context["request"])


@pass_context
def csp_nonce(context: Any) -> str:
    return nonce_of(context["request"].scope)


def _locale_of(context: Any) -> str:
    return str(context.get("locale") or DEFAULT_LOCALE)


def _fill(context: Any, text: str, params: dict[str, Any]) -> str:
    # Under autoescape the message is trusted markup and its parameters are escaped into it.
    if context.eval_ctx.autoescape:
        trusted = Markup(text)  # noqa: S704 - the catalogue's own text, never user input
        return trusted % params if params else trusted
    return text % params if params else text


@pass_context
def gettext(context: Any, message: str, **params: Any) -> str:
    return _fill(context, translate(message, _locale_of(context)), params)


@pass_context
def ngettext(context: Any, singular: str, plural: str, count: int, /, **params: Any) -> str:
    # The form is chosen here; the parameters are filled (and escaped) by _fill.
    form = translate_plural(singular, plural, count, _locale_of(context), **{k: f"%({k})s" for k in params})
    return _fill(context, form, params)


@pass_context
def time_left_filter(context: Any, due: datetime | None) -> str:
    """`{{ report.due_at|time_left }}`: "còn 2 ngày", "quá hạn 3 ngày" … in the page's locale, counted
    from the context's `now` when the page passes one (a page showing many rows reads one clock)."""
    now = context.get("now")
    return time_left(due, now if isinstance(now, datetime) else utcnow(), _locale_of(context))


templates.env.filters["time_left"] = time_left_filter
templates.env.globals.update(
    csrf_field=csrf_field,
    csrf_token=csrf_value,
    csp_nonce=csp_nonce,
    gettext=gettext,
    ngettext=ngettext,
    _=gettext,
)
templates.env.newstyle_gettext = True  # type: ignore[attr-defined]
