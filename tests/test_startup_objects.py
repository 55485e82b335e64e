"""What a server process carries. The objects alive once the app has started are frozen out of the
cyclic collector's full passes, which would otherwise scan the classifier, the catalogues and the
area index on every pass and stall the requests in flight (docs/performance.md, the workbench); and
libraries only a rare download or a push needs are not loaded with the app."""

from __future__ import annotations

import gc
import subprocess
import sys
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


def test_the_app_loads_without_the_pdf_spreadsheet_and_push_libraries() -> None:
    # Each server process would carry them (tens of MB) for downloads a few people ask for once a
    # month and for pushes only a worker sends; they are imported when first used.
    lazy = ("fpdf", "openpyxl", "pywebpush")
    probe = f"import sys, congdan.app; print(sorted(m for m in {lazy!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
