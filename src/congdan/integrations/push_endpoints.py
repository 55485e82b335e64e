"""Which web-push endpoints the server may POST to: https, on public addresses, optionally only
the hosts of known push services. A resident chooses the endpoint, so without this the server
would send requests wherever they like, its own network included.

The address is checked when a subscription is registered and again when a message is sent; at
send time the connection goes to the very addresses that were checked (a resolver that refuses
non-public answers), so a name that resolves elsewhere in between (DNS rebinding) gets nowhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from congdan.config import Settings
from congdan.kit.i18n import _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedEndpoint(OSError):
    """The endpoint is not one the server may reach; `message` says why, for the resident."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_NOT_PUBLIC = _("Địa chỉ nhận thông báo đẩy phải là một địa chỉ công khai trên Internet.")


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def host_allowed(host: str, allowed: list[str]) -> bool:
    """`allowed` holds host names and `*.suffix` patterns; an empty list allows every host."""
    host = host.lower().rstrip(".")
    for entry in allowed:
        entry = entry.lower().rstrip(".")
        if entry.startswith("*.") and host.endswith(entry[1:]) and host != entry[2:]:
            return True
        if host == entry:
            return True
    return not allowed


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(endpoint: str, settings: Settings) -> tuple[str, int]:
    """The endpoint's host and port, if its form is acceptable; raises RefusedEndpoint if not."""
    try:
        parts = urlsplit(endpoint)
    except ValueError:  # e.g. an unclosed "[" around an IPv6 address
        raise RefusedEndpoint(_("Địa chỉ nhận thông báo đẩy phải là một địa chỉ https.")) from None
    schemes = ("https", "http") if settings.push_allow_private_endpoints else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise RefusedEndpoint(_("Địa chỉ nhận thông báo đẩy phải là một địa chỉ https."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedEndpoint(_("Địa chỉ nhận thông báo đẩy phải là một địa chỉ https.")) from None
    host = parts.hostname
    if not host_allowed(host, settings.push_allowed_host_list):
        raise RefusedEndpoint(
            _("Địa chỉ nhận thông báo đẩy không thuộc dịch vụ thông báo đẩy được chấp nhận.")
        )
    literal = _literal(host)
    if literal is not None and not settings.push_allow_private_endpoints and not is_public(literal):
        raise RefusedEndpoint(_NOT_PUBLIC)
    return host, port


def _refuse_private(addresses: list[str], settings: Settings) -> None:
    if settings.push_allow_private_endpoints:
        return
    # Every answer must be public: a client may pick any of them.
    if not addresses or not all(is_public(ipaddress.ip_address(a.split("%")[0])) for a in addresses):
        raise RefusedEndpoint(_NOT_PUBLIC)


async def check_endpoint(endpoint: str, settings: Settings) -> None:
    """The check made when a subscription is registered: form, host and every resolved address."""
    host, port = check_url(endpoint, settings)
    if _literal(host) is not None or settings.push_allow_private_endpoints:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise RefusedEndpoint(_NOT_PUBLIC) from None
    _refuse_private([str(info[4][0]) for info in infos], settings)


class PublicOnlyResolver(AbstractResolver):
    """Resolves as usual and refuses non-public answers, so the connection goes only to addresses
    that passed the check."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[ResolveResult]:
        answers = await self.inner.resolve(host, port, family)
        _refuse_private([str(answer["host"]) for answer in answers], self.settings)
        return answers

    async def close(self) -> None:
        await self.inner.close()
