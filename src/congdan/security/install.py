"""Puts the protections in front of the app."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from congdan.config import Settings
from congdan.security.csrf import CsrfCookie, CsrfFailed, csrf_failed, csrf_protect
from congdan.security.headers import SecurityHeaders, tile_origin
from congdan.security.inputs import refuse_unsafe_text
from congdan.security.ratelimit import ClientRateLimit, RateLimiter


def install(app: FastAPI, settings: Settings) -> None:
    """Adds the protections in front of every route; the middlewares are the outermost layers."""
    app.state.rate_limiter = RateLimiter(settings)
    # Every route added from here on (all of them: install runs before the routers are included).
    app.router.dependencies.append(Depends(refuse_unsafe_text))
    app.router.dependencies.append(Depends(csrf_protect))
    app.add_exception_handler(CsrfFailed, csrf_failed)
    app.add_middleware(CsrfCookie)
    app.add_middleware(ClientRateLimit)
    tiles = tile_origin(settings.map_tile_url)
    app.add_middleware(SecurityHeaders, image_sources=(tiles,) if tiles else ())
    if settings.trusted_proxy_list:
        # Outermost, so that the rate limits and the logs see the client the proxies name: the
        # right-most address in X-Forwarded-For that is not itself a trusted proxy.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
