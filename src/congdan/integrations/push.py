"""Web Push (RFC 8030/8291) to the installed app, signed with the server's VAPID key (pywebpush).

A message's `to` is the subscription's endpoint; its keys travel in `data`. A 404 or 410 from the
push service means the subscription is gone: the error says so, and the caller forgets it. The
endpoint is checked again before every send and reached only on public addresses, with redirects
never followed (push_endpoints.py).
"""

from __future__ import annotations

import base64
import json
from typing import Any, cast

import aiohttp
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

from congdan.config import Settings
from congdan.integrations.channels import ChannelError, OutgoingMessage
from congdan.integrations.push_endpoints import PublicOnlyResolver, RefusedEndpoint, check_url

GONE = (404, 410)


def load_vapid(private_key: str) -> Vapid02:
    key = private_key.strip()
    if key.startswith("-----BEGIN"):
        return Vapid02.from_pem(key.encode())
    return Vapid02.from_string(key)


def public_key(vapid: Vapid02) -> str:
    """The applicationServerKey a browser needs to subscribe: the raw P-256 point, base64url."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def published_key(settings: Settings) -> str | None:
    """The key browsers subscribe with; None when web push is not set up."""
    if not settings.vapid_private_key:
        return None
    return settings.vapid_public_key or public_key(load_vapid(settings.vapid_private_key))


class WebPushChannel:
    name = "push"

    def __init__(self, settings: Settings) -> None:
        if not settings.vapid_private_key:
            raise ValueError("CONGDAN_VAPID_PRIVATE_KEY is not set")
        self.settings = settings
        self.vapid = load_vapid(settings.vapid_private_key)

    def payload(self, message: OutgoingMessage) -> str:
        return json.dumps(
            {"title": message.subject, "body": message.text, "url": message.url, "urgent": message.priority},
            ensure_ascii=False,
        )

    async def send(self, message: OutgoingMessage) -> str:
        # Imported when a push is sent: it brings requests and its own crypto, some 40 MB that
        # servers which never send a push need not carry.
        from pywebpush import WebPushException, webpush_async

        subscription = {
            "endpoint": message.to,
            "keys": {"p256dh": message.data.get("p256dh", ""), "auth": message.data.get("auth", "")},
        }
        try:
            check_url(message.to, self.settings)
        except RefusedEndpoint as exc:
            raise ChannelError(f"refused endpoint: {exc.message}", gone=True) from exc
        connector = aiohttp.TCPConnector(resolver=PublicOnlyResolver(self.settings))
        try:
            async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=20), connector=connector
            ) as http:
                response = await webpush_async(
                    subscription,
                    data=self.payload(message),
                    vapid_private_key=self.vapid,
                    vapid_claims={"sub": self.settings.vapid_subject},
                    ttl=3600 if message.priority else 24 * 3600,
                    headers={"Urgency": "high" if message.priority else "normal"},
                    aiohttp_session=cast(aiohttp.ClientSession, _NoRedirects(http)),
                )
                status = getattr(response, "status", 0)
                return f"{status} {getattr(response, 'reason', '')}".strip()
        except WebPushException as exc:
            code = exc.status_code or 0
            answer = f"{code} {exc.message}"[:500]
            if code in GONE:
                raise ChannelError(answer, gone=True) from exc
            # A redirect is not followed: the endpoint is not a push service's.
            raise ChannelError(answer, permanent=300 <= code < 500 and code not in (408, 429)) from exc
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, RefusedEndpoint):
                raise ChannelError(f"refused endpoint: {exc.os_error.message}", gone=True) from exc
            raise ChannelError(f"{type(exc).__name__}: {exc}") from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise ChannelError(f"{type(exc).__name__}: {exc}") from exc
        except ValueError as exc:  # malformed subscription keys
            raise ChannelError(f"invalid subscription: {exc}", permanent=True) from exc


class _NoRedirects:
    """The session pywebpush posts through, with redirects off: a push service answers itself, and
    a redirect could point anywhere, the server's own network included."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def post(self, url: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.session.post(url, allow_redirects=False, **kwargs)
