"""Security headers on every response, with a per-request nonce for the Content-Security-Policy.

Pages never carry inline script; a template that needs an inline <style> or <script> marks it with
the request's nonce (`csp_nonce()` in Jinja2), which the policy allows for that response only.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=63072000; includeSubDomains"
# Reporting from a phone needs the camera (photo) and the position; nothing else is used.
PERMISSIONS_POLICY = (
    "camera=(self), geolocation=(self), microphone=(), payment=(), usb=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), interest-cohort=()"
)


def tile_origin(tile_url: str) -> str | None:
    """The origin map tiles come from, as a CSP source: "https://*.tile.example.org" for a
    template with {s} subdomains; None when there is no tile server."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{s}", "subdomain"))
    host = parts.netloc.replace("subdomain", "*")
    if parts.scheme not in ("http", "https") or not host or any(c in host for c in "{}'; "):
        return None
    return f"{parts.scheme}://{host}"


def content_security_policy(nonce: str, image_sources: tuple[str, ...] = ()) -> str:
    images = " ".join(("'self'", "data:", "blob:", *image_sources))
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            f"img-src {images}",
            "font-src 'self'",
            "connect-src 'self'",
            "manifest-src 'self'",
            "worker-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        )
    )


def nonce_of(scope: Scope) -> str:
    """The CSP nonce of this request (created on first use)."""
    state = scope.setdefault("state", {})
    nonce: str | None = state.get("csp_nonce")
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        state["csp_nonce"] = nonce
    return nonce


class SecurityHeaders:
    """`image_sources`: other origins pages may load images from (the map's tile server)."""

    def __init__(self, app: ASGIApp, image_sources: tuple[str, ...] = ()) -> None:
        self.app = app
        self.image_sources = image_sources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = nonce_of(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # A route may set a stricter header of its own; keep it.
                defaults = {
                    "Content-Security-Policy": content_security_policy(nonce, self.image_sources),
                    "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin",
                    "X-Frame-Options": "DENY",
                    "Permissions-Policy": PERMISSIONS_POLICY,
                    "Cross-Origin-Opener-Policy": "same-origin",
                    "Cross-Origin-Resource-Policy": "same-origin",
                }
                if scope.get("scheme") == "https":
                    defaults["Strict-Transport-Security"] = HSTS
                for name, value in defaults.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
