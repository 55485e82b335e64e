"""Who may read the figures: the one rule of `serve`'s /metrics and the worker's listener.

With CONGDAN_METRICS_TOKEN set, a scraper sends it as a bearer token; without it, only a caller on
this machine that came through no proxy is answered (a load balancer on the same machine forwards
with X-Forwarded-For, and is refused)."""

from __future__ import annotations

import hmac
import ipaddress


def scraper_allowed(token: str | None, authorization: str, *, forwarded: bool, client_host: str) -> bool:
    if token:
        given = authorization.removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    if forwarded:
        return False
    try:
        return ipaddress.ip_address(client_host).is_loopback
    except ValueError:
        return False
