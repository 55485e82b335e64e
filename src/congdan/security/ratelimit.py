"""Rate limits per client address and per account, counted by the `limits` library.

Counters live in memory by default (one process) and in Redis when CONGDAN_REDIS_URL is set, so
that every `serve` instance behind a load balancer shares them. A limiter that cannot reach its
storage lets requests through: a broken Redis must not turn into errors for everybody.

The client address is the socket peer as the ASGI server reports it; behind a reverse proxy, list
the proxy in CONGDAN_TRUSTED_PROXIES so that it is the real client's address (security/install.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

import structlog
from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from congdan.config import Settings
from congdan.kit.errors import AppError
from congdan.kit.i18n import _, negotiate
from congdan.kit.metrics import RATE_LIMITED
from congdan.kit.problems import problem_response

log = structlog.get_logger("ratelimit")

# Rule name -> limits, "N/period" joined by ";". CONGDAN_RATE_LIMITS (JSON) overrides any of them.
DEFAULT_RULES: dict[str, str] = {
    "client": "600/minute",  # every request from one address
    "auth_code_client": "10/minute;60/hour",
    # A target (a phone number, an email, a staff account) is counted per client address first, so
    # one caller spends only their own share; the target's own ceiling is higher, against many
    # addresses at once (`congdan user unlock` starts a staff account's count afresh).
    "auth_code_target_client": "3/10minutes;10/day",  # codes one address asks for one destination
    "auth_code_target": "6/10minutes;20/day",  # codes sent to one phone number or email
    "auth_verify_client": "30/minute;200/hour",
    "auth_verify_target_client": "10/10minutes;30/day",
    "auth_verify_target": "30/10minutes;100/day",
    "login_client": "20/minute;100/hour",
    "login_target_client": "10/10minutes;50/day",  # attempts from one address on one staff email
    "login_target": "50/10minutes;200/day",
    # Staff sign-in counts failures only, per factor: wrong passwords (the two rules above), wrong
    # second-factor codes, and wrong recovery attempts, which are counted per address alone so that
    # nobody else's guesses can close the owner's way back in (auth/lockout.py).
    "totp_target_client": "5/10minutes;20/day",
    "totp_target": "10/10minutes;50/day",
    "recovery_target_client": "5/10minutes;20/day",
    "reports_client": "30/minute;300/hour",
    "reports_account": "20/minute;100/hour",
    "uploads_client": "60/minute;600/hour",
    "uploads_account": "60/minute;300/hour",
}

# Probes and the API description are never limited.
UNLIMITED_PATHS = ("/healthz", "/readyz")


class TooManyRequests(AppError):
    status = 429
    slug = "too-many-requests"
    title = _("Quá nhiều yêu cầu")


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits_enabled
        unknown = set(settings.rate_limits) - set(DEFAULT_RULES)
        if unknown:
            raise ValueError(f"unknown rate limit rules: {sorted(unknown)}")
        rules = DEFAULT_RULES | settings.rate_limits
        self.rules: dict[str, list[RateLimitItem]] = {name: parse_many(v) for name, v in rules.items()}
        self.storage = _storage(settings)
        self.strategy = FixedWindowRateLimiter(self.storage)

    async def hit(self, rule: str, identifier: str) -> None:
        """Counts one request against a rule; raises TooManyRequests once any of its limits is spent."""
        if not self.enabled:
            return
        for item in self.rules[rule]:
            try:
                allowed = await self.strategy.hit(item, rule, identifier)
                if allowed:
                    continue
                stats = await self.strategy.get_window_stats(item, rule, identifier)
            except Exception as exc:  # storage down: fail open, but say so
                log.warning("ratelimit.storage_error", rule=rule, error=str(exc)[:200])
                return
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            RATE_LIMITED.labels(rule).inc()
            raise TooManyRequests(
                _("Bạn đã gửi quá nhiều yêu cầu; hãy thử lại sau %(seconds)s giây."),
                headers={"Retry-After": str(retry_after)},
                seconds=retry_after,
            )

    async def exhausted(self, rule: str, identifier: str) -> int | None:
        """Seconds until `rule` allows `identifier` again, or None when it allows it now (nothing
        is counted: failures are counted by `spend`)."""
        if not self.enabled:
            return None
        for item in self.rules[rule]:
            try:
                if await self.strategy.test(item, rule, identifier):
                    continue
                stats = await self.strategy.get_window_stats(item, rule, identifier)
            except Exception as exc:  # storage down: fail open, but say so
                log.warning("ratelimit.storage_error", rule=rule, error=str(exc)[:200])
                return None
            return max(1, math.ceil(stats.reset_time - time.time()))
        return None

    async def spend(self, rule: str, identifier: str) -> bool:
        """Counts one against every limit of `rule`; True when this one used up an allowance."""
        if not self.enabled:
            return False
        used_up = False
        for item in self.rules[rule]:
            try:
                await self.strategy.hit(item, rule, identifier)
                stats = await self.strategy.get_window_stats(item, rule, identifier)
            except Exception as exc:  # storage down: fail open, but say so
                log.warning("ratelimit.storage_error", rule=rule, error=str(exc)[:200])
                return False
            used_up = used_up or stats.remaining == 0
        return used_up

    async def close(self) -> None:
        if not isinstance(self.storage, MemoryStorage):
            return
        # MemoryStorage runs a background expiry timer; stop it with the app.
        timer = getattr(self.storage, "timer", None)
        if timer is not None:
            timer.cancel()


def _storage(settings: Settings) -> Storage:
    if not settings.redis_url:
        return MemoryStorage()
    url = settings.redis_url
    if not url.startswith("async+"):
        url = "async+" + url
    # A burst opens many connections at once; on a busy machine connecting can take longer than a
    # command, and a storage error lets requests through, so connecting gets more time.
    return RedisStorage(
        url,
        implementation="redispy",
        key_prefix=settings.rate_limit_key_prefix,
        socket_timeout=1.0,
        socket_connect_timeout=3.0,
    )


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def hit_target(request: Request, name: str, target: str) -> None:
    """Counts a request aimed at one target: `<name>_target_client` for this address first, then
    `<name>_target`, which a caller stopped by their own share no longer adds to."""
    rl = limiter(request)
    await rl.hit(f"{name}_target_client", f"{target}|{client_address(request.scope)}")
    await rl.hit(f"{name}_target", target)


def limiter(request: Request) -> RateLimiter:
    result: RateLimiter = request.app.state.rate_limiter
    return result


def limit(name: str) -> Callable[..., Awaitable[None]]:
    """A dependency counting the request against `<name>_client`; on routes that know the caller,
    use limit_signed_in so that `<name>_account` counts too."""

    async def dependency(request: Request) -> None:
        await limiter(request).hit(f"{name}_client", client_address(request.scope))

    return dependency


class ClientRateLimit:
    """The general per-client limit, in front of every route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        rl: RateLimiter | None = getattr(scope["app"].state, "rate_limiter", None)
        if rl is not None:
            try:
                await rl.hit("client", client_address(scope))
            except TooManyRequests as exc:
                raw = dict(scope.get("headers") or []).get(b"accept-language")
                locale = negotiate(raw.decode("latin-1") if raw else None)
                response = problem_response(exc, locale, scope.get("path"))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
