"""`congdan …` under a cProfile that another process switches on and off.

    python bench/profiled_serve.py OUT.prof serve --port 8001 --no-worker

SIGUSR1 starts profiling, SIGUSR2 stops it and writes OUT.prof, so that the profile covers only a
measured window (not imports, migrations or shutdown). While profiling it also counts the SQL the
server sends (statements by verb and table, transactions begun, committed and rolled back, pool
checkouts) through SQLAlchemy events, and writes them to OUT.prof.sql.json. Nothing in the
application is changed. Used by `bench/submit.py --profile`.
"""

from __future__ import annotations

import cProfile
import json
import re
import signal
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from congdan.cli import main

TARGET = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


def statement_key(sql: str) -> str:
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    target = TARGET.search(sql)
    return f"{verb} {target.group(1)}" if target else verb


def run() -> None:
    if len(sys.argv) < 3:
        sys.exit("usage: profiled_serve.py OUT.prof <congdan arguments…>")
    out = Path(sys.argv[1])
    profiler = cProfile.Profile()
    counts: Counter[str] = Counter()
    active = False

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if active:
            counts[statement_key(statement)] += 1

    def counter(name: str) -> Any:
        def on_event(*_args: Any) -> None:
            if active:
                counts[name] += 1

        return on_event

    event.listen(Engine, "before_cursor_execute", on_statement)
    event.listen(Engine, "begin", counter("(transaction begin)"))
    event.listen(Engine, "commit", counter("(transaction commit)"))
    event.listen(Engine, "rollback", counter("(transaction rollback)"))
    event.listen(Pool, "checkout", counter("(pool checkout)"))

    def start(_signum: int, _frame: FrameType | None) -> None:
        nonlocal active
        counts.clear()
        active = True
        profiler.enable()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal active
        profiler.disable()
        active = False
        out.with_name(out.name + ".sql.json").write_text(json.dumps(dict(counts.most_common()), indent=1))
        profiler.dump_stats(str(out))

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.argv = ["congdan", *sys.argv[2:]]
    main()


if __name__ == "__main__":
    run()
