"""The server's profile over the measured window, grouped by package, with the SQL it sent
(written by bench/profiled_serve.py)."""

from __future__ import annotations

import json
import pstats
import sysconfig
import time
from collections import Counter
from pathlib import Path
from typing import Any


def profile_label(filename: str, function: str) -> str:
    """Which package a profiled function belongs to."""
    if filename == "~":
        if "epoll" in function or "select" in function:
            return "(idle: waiting in epoll)"
        if "asyncpg" in function:
            return "asyncpg (C)"
        return "built-ins (C)"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    if "congdan" in parts:
        return "congdan"
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if path.is_relative_to(stdlib):
        inside = path.relative_to(stdlib).parts
        return f"stdlib {inside[0].removesuffix('.py')}" if inside else "stdlib"
    return "other"


def profile_summary(path: Path, successes: int, top: int = 15) -> dict[str, Any]:
    """Self time grouped by package over the measured window, without the time the event loop
    spent idle in epoll. cProfile counts wall time of a function's own frames; for a one-threaded
    asyncio server that is close to CPU time once idle waiting is taken out. With the SQL the server
    sent in the same window, per successful submission (requests in flight at the edges of the
    window make these approximate)."""
    for _ in range(100):  # the server writes the file on SIGUSR2
        if path.exists() and path.stat().st_size > 0:
            time.sleep(0.3)
            break
        time.sleep(0.1)
    else:
        return {"error": f"no profile written to {path}"}
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    by_label: Counter[str] = Counter()
    functions: list[tuple[float, str]] = []
    for (filename, line, function), (_cc, calls, tottime, _ct, _callers) in stats.items():
        label = profile_label(filename, function)
        by_label[label] += tottime
        if not label.startswith("(idle"):
            short = function if filename == "~" else f"{Path(filename).name}:{line}({function})"
            functions.append((tottime, f"{short} [{label}], {calls} calls"))
    idle = by_label.pop("(idle: waiting in epoll)", 0.0)
    busy = sum(by_label.values())
    sql_path = path.with_name(path.name + ".sql.json")
    sql: dict[str, int] = json.loads(sql_path.read_text()) if sql_path.exists() else {}
    statements = sum(v for k, v in sql.items() if not k.startswith("("))
    return {
        "file": str(path),
        "busy_s": round(busy, 2),
        "idle_epoll_s": round(idle, 2),
        "self_time_pct_by_package": {
            label: round(100 * t / busy, 1)
            for label, t in by_label.most_common()
            if busy and t / busy >= 0.005
        },
        "top_functions_self_s": [[round(t, 3), name] for t, name in sorted(functions, reverse=True)[:top]],
        "top_functions_note": "calls count every resumption of a coroutine",
        "successes_in_window": successes,
        "sql_statements_per_submission": round(statements / successes, 2) if successes else None,
        "sql_per_submission": {k: round(v / successes, 2) for k, v in sql.items()} if successes else {},
        "sql_note": (
            "counted with SQLAlchemy events; the pool pre-ping (BEGIN; ';'; ROLLBACK on each checkout, "
            "done by the asyncpg dialect directly) is not among the statements"
        ),
    }
