"""Puts the protections in front of the app."""

from __future__ import annotations

from fastapi import FastAPI

from congdan.config import Settings
from congdan.security.csrf import CsrfProtect
from congdan.security.headers import SecurityHeaders
from congdan.security.ratelimit import ClientRateLimit, RateLimiter


def install(app: FastAPI, settings: Settings) -> None:
    """Adds the protections as the outermost layers, so that every response passes through them."""
    app.state.rate_limiter = RateLimiter(settings)
    app.add_middleware(CsrfProtect, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(ClientRateLimit)
    app.add_middleware(SecurityHeaders)
