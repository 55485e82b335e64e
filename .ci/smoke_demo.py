"""The demo as a newcomer meets it, through HTTP only (standard library, no test extras).

Starts `congdan serve --demo` on a free port in a new data folder, then: asks a sign-in code for
the demo resident, reads it from the server log, signs in, sends a report, waits until the
"received" message is in the resident's inbox; signs in as the demo administrator, sends a
city-wide emergency alert and waits until it reaches the resident's inbox too. Fails on any
`outbox.handler_failed` or error-level outbox line in the log, and on a worker missing from /readyz.

Run with the venv's python: `python .ci/smoke_demo.py [--congdan PATH]`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

RESIDENT = "+84901234567"
ADMIN = ("quantri@demo.congdan.vn", "demo-congdan-2026")
CODE_LINE = re.compile(r"Mã đăng nhập Công dân số: (\d{6})")
BAD_LINES = ("outbox.handler_failed", "outbox.worker_crashed", "outbox.worker_ended_unexpectedly",
             "outbox.round_failed", "outbox.failure_not_recorded", "Traceback")


class SmokeFailed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    def __init__(self, congdan: str, folder: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "serve.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONGDAN_")}
        env.update(PYTHONIOENCODING="utf-8", NO_COLOR="1")
        self.log_file = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [congdan, "serve", "--demo", "--port", str(self.port), "--data-dir", str(folder / "var")],
            cwd=folder, env=env, stdout=self.log_file, stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log_file.close()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Accept-Language", "vi")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                raw, status, kind = answer.read(), answer.status, answer.headers.get_content_type()
        except urllib.error.HTTPError as error:
            raw, status, kind = error.read(), error.code, error.headers.get_content_type()
        if not raw:
            return status, None
        return status, (json.loads(raw) if kind.endswith("json") else raw.decode("utf-8", "replace"))

    def expect(self, status: int, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        got, answer = self.call(method, path, body, token)
        if got != status:
            raise SmokeFailed(f"{method} {path}: expected {status}, got {got}: {answer}")
        return answer


def totp(secret: str) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s) in the standard library, as any authenticator app computes it."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, (int(time.time()) // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(int.from_bytes(digest[offset:offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def wait_for(what: str, check: Any, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise SmokeFailed(f"timed out after {seconds:.0f} s waiting for {what}")


def journey(demo: Demo) -> list[str]:
    done: list[str] = []

    def listening() -> bool:
        if demo.process.poll() is not None:
            raise SmokeFailed(f"the server exited with {demo.process.returncode}")
        return "listening on" in demo.log()

    wait_for("the server to listen", listening, 180)
    done.append("server up")

    codes_before = len(CODE_LINE.findall(demo.log()))
    demo.expect(202, "POST", "/api/v1/auth/code", {"phone": RESIDENT})

    def new_code() -> str | None:
        found = CODE_LINE.findall(demo.log())
        return found[-1] if len(found) > codes_before else None

    code = wait_for("the sign-in code in the server log", new_code, 30)
    token = demo.expect(200, "POST", "/api/v1/auth/code/verify", {"phone": RESIDENT, "code": code})[
        "access_token"
    ]
    done.append("resident signed in with the code from the log")

    report = demo.expect(201, "POST", "/api/v1/reports", {
        "kind": "report",
        "description": "Ổ gà lớn trước số 12 đường Lê Lợi, xe máy đi qua rất nguy hiểm.",
        "location": {"lat": 10.7731, "long": 106.6992},
        "visibility": "public",
    }, token)
    code_text = report["tracking_code"]

    def received() -> dict[str, Any] | None:
        inbox = demo.expect(200, "GET", "/api/v1/me/notifications", token=token)
        return next((item for item in inbox["items"] if code_text in item["title"] + item["body"]), None)

    item = wait_for("the report's 'received' message in the resident's inbox", received, 60)
    link = f"{demo.base}/theo-doi/{code_text}"
    if item.get("url") != link:
        raise SmokeFailed(f"the inbox message links to {item.get('url')!r}, not {link!r}")
    done.append(f"report {code_text} sent, 'received' message in the inbox, linking to {link}")

    credentials = {"email": ADMIN[0], "password": ADMIN[1]}
    enrolment = demo.expect(200, "POST", "/api/v1/auth/login/enrol", credentials)
    admin = demo.expect(200, "POST", "/api/v1/auth/login", credentials | {"totp": totp(enrolment["secret"])})
    alert = demo.expect(201, "POST", "/api/v1/alerts", {
        "alert_type": "flood_tide",
        "title": "Triều cường tối nay",
        "body": "Triều cường dự kiến lúc 18 giờ; hạn chế đi qua các tuyến đường trũng.",
    }, admin["access_token"])

    def alerted() -> bool:
        inbox = demo.expect(200, "GET", "/api/v1/me/notifications", token=token)
        return any(alert["title"] in item["title"] + item["body"] for item in inbox["items"])

    wait_for("the emergency alert in the resident's inbox", alerted, 60)
    done.append("emergency alert reached the resident's inbox")

    status, page = demo.call("GET", f"/theo-doi/{code_text}")
    if status != 200 or code_text not in str(page):
        raise SmokeFailed(f"the tracking page /theo-doi/{code_text} answered {status}")
    done.append("tracking page shown")

    ready = demo.expect(200, "GET", "/readyz")
    if ready.get("worker", {}).get("mode") != "in_process":
        raise SmokeFailed(f"/readyz shows no in-process worker: {ready}")
    done.append(f"/readyz: worker in process, {ready['worker']['due']} rows due")

    time.sleep(1.0)  # let the last deliveries finish their log lines
    bad = [line for line in demo.log().splitlines() if any(word in line for word in BAD_LINES)]
    if bad:
        raise SmokeFailed("the server log shows failures:\n" + "\n".join(bad[:20]))
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--congdan", default=shutil.which("congdan") or "congdan")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and log")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="congdan-smoke-"))
    congdan = str(Path(args.congdan).resolve()) if os.sep in args.congdan else args.congdan
    demo = Demo(congdan, folder)
    try:
        steps = journey(demo)
    except SmokeFailed as failure:
        print(f"SMOKE FAILED: {failure}", file=sys.stderr)
        print("--- server log (last 60 lines) ---", file=sys.stderr)
        print("\n".join(demo.log().splitlines()[-60:]), file=sys.stderr)
        return 1
    finally:
        demo.stop()
    for step in steps:
        print(f"ok: {step}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
