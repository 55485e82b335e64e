#!/usr/bin/env python3
"""The long contract-fuzzing run: tests/test_fuzz.py with many more examples, fresh ones each time.

    python bench/fuzz.py [--examples N] [--postgres] [--json OUT]

Runs schemathesis over every operation of the app's OpenAPI document (anonymous and as a
coordinator, all checks but positive_data_acceptance, see tests/test_fuzz.py), on SQLite or on a
fresh PostgreSQL database, and prints how many examples each operation got and what failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import REPO, machine, write_json

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=1000, help="examples per operation and caller")
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL (127.0.0.1:5432)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    counts_file = Path(tempfile.mkstemp(suffix=".json")[1])
    env = os.environ | {
        "PYTHONPATH": str(REPO / "src"),
        "CONGDAN_FUZZ_EXAMPLES": str(args.examples),
        "CONGDAN_FUZZ_RANDOM": "1",
        "CONGDAN_FUZZ_REPORT": str(counts_file),
    }
    if args.postgres:
        env["CONGDAN_TEST_DATABASE_URL"] = PG_URL
    start = time.monotonic()
    proc = subprocess.run(
        # The two fuzzing files in one process (-n 0), so that the counts of both callers end up in
        # one report; the coverage floor of the whole suite does not apply to them.
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_fuzz.py",
            "tests/test_fuzz_staff.py",
            "-n",
            "0",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rf",
            "--no-cov",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - start
    counts: dict[str, int] = json.loads(counts_file.read_text() or "{}") if counts_file.exists() else {}
    counts_file.unlink(missing_ok=True)
    failed = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "SUBFAILED"))]
    result = {
        "machine": machine(),
        "database": "PostgreSQL" if args.postgres else "SQLite",
        "max_examples": args.examples,
        "seconds": round(seconds, 1),
        "operations": len(counts),
        "examples_total": sum(counts.values()),
        "examples_min": min(counts.values(), default=0),
        "failures": failed,
        "per_operation": counts,
    }
    print("| operation (caller) | examples |\n|---|---|")
    for label, n in counts.items():
        print(f"| {label} | {n} |")
    print(
        f"\n{result['database']}: {result['examples_total']} examples over {result['operations']} "
        f"operation×caller pairs in {result['seconds']} s; failures: {len(failed)}"
    )
    write_json(args.json, result)
    if proc.returncode != 0:
        print(proc.stdout[-6000:], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
