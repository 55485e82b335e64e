"""The objects alive once the app has started are frozen out of the cyclic collector's full passes,
which would otherwise scan the classifier, the catalogues and the area index on every pass and stall
the requests in flight (docs/performance.md, the workbench)."""

from __future__ import annotations

import gc
from typing import Any

from congdan.app import create_app
from congdan.config import Settings


async def _frozen_while_running(settings: Settings) -> int:
    gc.unfreeze()
    app = create_app(settings, run_worker=False)
    try:
        async with app.router.lifespan_context(app):
            return gc.get_freeze_count()
    finally:
        gc.unfreeze()


async def test_startup_freezes_what_is_alive(settings: Settings, app: Any) -> None:
    frozen = await _frozen_while_running(settings)
    # Far more than a handful: the loaded modules and the classifier alone are hundreds of thousands.
    assert frozen > 10_000


async def test_the_setting_leaves_the_collector_alone(settings: Settings, app: Any) -> None:
    off = settings.model_copy(update={"freeze_startup_objects": False})
    assert await _frozen_while_running(off) == 0
