"""The emergency-alert banner of residents' pages: live city-wide alerts for everyone, and those of
the units a signed-in resident registered.

A router of residents' pages adds `dependencies=[ALERT_BANNER]`; `render()` then fills the layout's
`alerts` with them. The alerts are read in a short session of their own before the page's unit of
work, and kept a few seconds per set of units (CONGDAN_ALERT_BANNER_CACHE_SECONDS): every page
shows them, and an alert changes rarely.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from fastapi import Depends, Request

from congdan.announcements import service
from congdan.config import Settings
from congdan.db import utcnow
from congdan.web.resident_session import OptionalResidentDep


@dataclass(frozen=True)
class BannerAlert:
    url: str
    title: str


_cache: dict[frozenset[str], tuple[float, list[BannerAlert]]] = {}


def clear_cache() -> None:
    _cache.clear()


async def _read(request: Request, account_id: uuid.UUID | None) -> list[BannerAlert]:
    state = request.app.state
    settings: Settings = state.settings
    async with state.read_sessionmaker() as session:
        units = await service.resident_units(session, account_id) if account_id else frozenset()
        hit = _cache.get(units)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        rows = await service.current_alerts(session, utcnow(), units)
    alerts = [BannerAlert(url=f"/tin-tuc/{r.id}", title=r.title) for r in rows]
    if settings.alert_banner_cache_seconds > 0:
        _cache[units] = (time.monotonic() + settings.alert_banner_cache_seconds, alerts)
    return alerts


async def alert_banner(request: Request, resident: OptionalResidentDep) -> None:
    """Puts the page's alerts on the request, where render() finds them."""
    request.state.alerts = await _read(request, resident.account_id if resident else None)


ALERT_BANNER = Depends(alert_banner)
