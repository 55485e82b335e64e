"""The one Jinja2 environment for every page: autoescaping always on, CSRF and CSP helpers as globals.

Every HTML surface renders through `templates` so that it inherits these protections.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context
from markupsafe import Markup, escape

from congdan.security.csrf import FIELD, csrf_token
from congdan.security.headers import nonce_of

TEMPLATE_DIR = Path(__file__).parent / "templates"

# autoescape=True escapes in every template whatever its file name (.html, .txt, .xml …).
templates = Jinja2Templates(env=Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True))


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


templates.env.globals.update(csrf_field=csrf_field, csrf_token=csrf_value, csp_nonce=csp_nonce)
