"""The `congdan` command, run for real in subprocesses against a fresh SQLite data dir per test."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from congdan.app import create_app
from congdan.config import Settings
from congdan.demo import DEMO_PASSWORD, REPORTS, RESIDENT_PHONE, STAFF
from tests.live_server import congdan_script

CONGDAN = congdan_script()  # beside this interpreter, whether or not its folder is on PATH

PASSWORD = "mat-khau-cli-rat-dai-42"
TIMEOUT = 120  # seconds for any one command; a bound, not an expectation


@pytest.fixture
def ddir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _clean_env() -> dict[str, str]:
    """The environment without any CONGDAN_ setting, so every command uses SQLite in its data dir."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONGDAN_")}
    clean.update(PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", NO_COLOR="1", COLUMNS="200")
    return clean


@pytest.fixture
def env() -> dict[str, str]:
    return _clean_env()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir migrated by the real `congdan db upgrade`, copied for the tests that need one."""
    assert CONGDAN is not None
    path = tmp_path_factory.mktemp("cli-template") / "data"
    result = subprocess.run(
        [CONGDAN, "db", "upgrade", "--data-dir", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_clean_env(),
        timeout=TIMEOUT,
        check=False,
    )
    _ok(result)
    return path


@pytest.fixture
def migrated(template: Path, ddir: Path) -> Path:
    """A fresh data dir holding a migrated database with reference data and no accounts."""
    shutil.copytree(template, ddir)
    assert _count(ddir, "accounts") == 0
    return ddir


@pytest.fixture
def run(env: dict[str, str], tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        assert CONGDAN is not None
        return subprocess.run(
            [CONGDAN, *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=tmp_path,
            timeout=TIMEOUT,
            check=False,
        )

    return _run


def _db(ddir: Path) -> Path:
    return ddir / "congdan.sqlite3"


def _query(ddir: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(_db(ddir))
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _open(ddir: Path, sealed: str, purpose: str) -> str:
    return Settings(data_dir=ddir).keyring.open(sealed, purpose)


def _count(ddir: Path, table: str) -> int:
    return int(_query(ddir, f"SELECT count(*) FROM {table}")[0][0])


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def _sqlite_settings(ddir: Path) -> Settings:
    return Settings(data_dir=ddir, database_url=f"sqlite+aiosqlite:///{_db(ddir).resolve()}", secret_key=None)


# ---- db upgrade ------------------------------------------------------------------------------


def test_db_upgrade_creates_database_and_is_idempotent(run: Any, ddir: Path) -> None:
    assert not ddir.exists()
    first = _ok(run("db", "upgrade", "--data-dir", str(ddir)))
    assert _db(ddir).is_file()
    assert "'categories': 19" in first.stdout
    counts = {t: _count(ddir, t) for t in ("categories", "areas", "agencies")}
    assert counts["categories"] == 19
    assert counts["areas"] == 168
    assert counts["agencies"] > 0
    revision = _query(ddir, "SELECT version_num FROM alembic_version")
    assert len(revision) == 1

    second = _ok(run("db", "upgrade", "--data-dir", str(ddir)))
    assert "'areas': 0, 'agencies': 0, 'categories': 0" in second.stdout
    assert {t: _count(ddir, t) for t in counts} == counts
    assert _query(ddir, "SELECT version_num FROM alembic_version") == revision
    assert _count(ddir, "accounts") == 0


# ---- user create -----------------------------------------------------------------------------


async def _login(ddir: Path, email: str, password: str) -> tuple[httpx.Response, httpx.Response | None]:
    app = create_app(_sqlite_settings(ddir), run_worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            # A new staff account enrols its second factor, then signs in with its first code.
            r = await client.post("/api/v1/auth/login/enrol", json={"email": email, "password": password})
            if r.status_code == 200:
                code = pyotp.TOTP(r.json()["secret"]).now()
                login = {"email": email, "password": password, "totp": code}
                r = await client.post("/api/v1/auth/login", json=login)
            me = None
            if r.status_code == 200:
                me = await client.get(
                    "/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
                )
            return r, me


async def test_user_create_then_login_through_the_api(run: Any, ddir: Path, migrated: Path) -> None:
    result = _ok(
        run(
            "user",
            "create",
            "--email",
            "Can.Bo@SXD.example.vn",
            "--password-stdin",
            "--role",
            "agency_officer",
            "--agency",
            "so_xay_dung",
            "--name",
            "Cán bộ Sở Xây dựng",
            "--data-dir",
            str(ddir),
            stdin=PASSWORD + "\n",
        )
    )
    assert PASSWORD not in result.stdout + result.stderr
    rows = _query(ddir, "SELECT id, email, role, agency_code, password_hash, display_name FROM accounts")
    assert len(rows) == 1
    account_id, email, role, agency, password_hash, name = rows[0]
    # The email is sealed at rest under the demo key derived from the data dir's secret.
    assert email.startswith("cd1:dev:") and "sxd" not in email
    assert _open(ddir, email, "accounts.email") == "can.bo@sxd.example.vn"
    assert (role, agency, name) == (
        "agency_officer",
        "so_xay_dung",
        "Cán bộ Sở Xây dựng",
    )
    assert password_hash.startswith("$argon2") and PASSWORD not in password_hash
    assert "agency_officer" in result.stdout

    r, me = await _login(ddir, "can.bo@sxd.example.vn", PASSWORD)
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "agency_officer"
    assert me is not None and me.status_code == 200
    assert me.json()["agency"] == "so_xay_dung"
    assert me.json()["email"] == "can.bo@sxd.example.vn"
    assert me.json()["id"].replace("-", "") == str(account_id).replace("-", "")
    assert me.json()["id"] in result.stdout

    wrong, _ = await _login(ddir, "can.bo@sxd.example.vn", PASSWORD + "!")
    assert wrong.status_code == 401


async def test_user_create_password_from_stdin_ignores_line_ending(
    run: Any, ddir: Path, migrated: Path
) -> None:
    _ok(
        run(
            "user",
            "create",
            "--email",
            "dieuphoi@example.vn",
            "--password-stdin",
            "--role",
            "coordinator",
            "--data-dir",
            str(ddir),
            stdin=PASSWORD + "\r\n",
        )
    )
    r, _ = await _login(ddir, "dieuphoi@example.vn", PASSWORD)
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "coordinator"


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--role", "superuser"], PASSWORD, "Vai trò không hợp lệ: superuser"),
        (["--role", "resident"], PASSWORD, "Vai trò không hợp lệ: resident"),
        (["--role", "agency_officer", "--agency", "so_khong_ton_tai"], PASSWORD, "cơ quan có thật"),
        (["--role", "agency_manager"], PASSWORD, "cơ quan có thật"),
        (["--role", "coordinator", "--agency", "so_xay_dung"], PASSWORD, "Chỉ cán bộ cơ quan"),
        (
            ["--role", "agency_officer", "--agency", "so_xay_dung"],
            "ngan",
            "Mật khẩu phải có ít nhất 10 ký tự",
        ),
        (["--role", "agency_officer", "--agency", "so_xay_dung"], "", "Mật khẩu phải có ít nhất 10 ký tự"),
    ],
)
def test_user_create_refuses_bad_input(
    run: Any, ddir: Path, migrated: Path, args: list[str], password: str, message: str
) -> None:
    result = run(
        "user",
        "create",
        "--email",
        "sai@example.vn",
        "--password-stdin",
        *args,
        "--data-dir",
        str(ddir),
        stdin=password + "\n",
    )
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert "Đã tạo" not in result.stdout
    assert _count(ddir, "accounts") == 0


def test_user_create_refuses_bad_email_and_duplicates(run: Any, ddir: Path, migrated: Path) -> None:
    bad = run(
        "user",
        "create",
        "--email",
        "khong-phai-email",
        "--password-stdin",
        "--role",
        "admin",
        "--data-dir",
        str(ddir),
        stdin=PASSWORD + "\n",
    )
    assert bad.returncode != 0
    assert "Địa chỉ email không hợp lệ" in bad.stderr
    assert _count(ddir, "accounts") == 0

    args = ("user", "create", "--email", "admin@example.vn", "--password-stdin", "--role", "admin")
    _ok(run(*args, "--data-dir", str(ddir), stdin=PASSWORD + "\n"))
    again = run(*args, "--data-dir", str(ddir), stdin="mot-mat-khau-khac-123\n")
    assert again.returncode != 0
    assert "Email này đã có tài khoản" in again.stderr
    assert _count(ddir, "accounts") == 1


def test_user_create_requires_password_stdin(run: Any, ddir: Path, migrated: Path) -> None:
    result = run(
        "user",
        "create",
        "--email",
        "a@example.vn",
        "--role",
        "admin",
        "--data-dir",
        str(ddir),
        stdin=PASSWORD + "\n",
    )
    assert result.returncode != 0
    assert "--password-stdin" in result.stderr
    assert _count(ddir, "accounts") == 0


# ---- apikey create ---------------------------------------------------------------------------


def test_apikey_is_shown_once_and_stored_hashed(run: Any, ddir: Path, migrated: Path) -> None:
    result = _ok(run("apikey", "create", "--name", "Ứng dụng đối tác", "--data-dir", str(ddir)))
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    raw = lines[0].strip()
    assert raw.startswith("cdk_") and len(raw) > 30
    assert raw not in result.stderr
    assert "không được hiển thị lại" in result.stderr

    rows = _query(ddir, "SELECT * FROM api_keys")
    assert len(rows) == 1
    stored = " ".join(str(v) for v in rows[0])
    assert raw not in stored
    assert raw.split("_", 1)[1] not in stored
    [(name, key_hash, prefix, revoked)] = _query(
        ddir, "SELECT name, key_hash, prefix, revoked_at FROM api_keys"
    )
    assert name == "Ứng dụng đối tác"
    assert key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(prefix) and len(prefix) < len(raw) // 2
    assert revoked is None

    second = _ok(run("apikey", "create", "--name", "Khác", "--data-dir", str(ddir)))
    assert second.stdout.strip() != raw
    assert _count(ddir, "api_keys") == 2


# ---- seed demo -------------------------------------------------------------------------------


def test_seed_demo_once(run: Any, ddir: Path) -> None:
    first = _ok(run("seed", "demo", "--data-dir", str(ddir)))
    assert "Đã nạp dữ liệu mẫu" in first.stdout
    for account in STAFF:
        assert account.email in first.stdout
    assert DEMO_PASSWORD in first.stdout
    assert RESIDENT_PHONE in first.stdout
    accounts = _count(ddir, "accounts")
    reports = _count(ddir, "reports")
    assert accounts == len(STAFF) + 1
    assert reports == len(REPORTS)

    second = _ok(run("seed", "demo", "--data-dir", str(ddir)))
    assert "Dữ liệu mẫu đã có" in second.stdout
    assert "Đã nạp" not in second.stdout
    assert _count(ddir, "accounts") == accounts
    assert _count(ddir, "reports") == reports
    emails = [
        _open(ddir, row[0], "accounts.email")
        for row in _query(ddir, "SELECT email FROM accounts WHERE email IS NOT NULL")
    ]
    assert sorted(emails) == sorted(a.email for a in STAFF)


# ---- serve -----------------------------------------------------------------------------------


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(
    predicate: Callable[[], bool], seconds: float, what: str, proc: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise AssertionError(f"congdan serve exited with {proc.returncode} while waiting for {what}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Server:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, out: Path, err: Path, ddir: Path) -> None:
        self.proc = proc
        self.port = port
        self.out = out
        self.err = err
        self.ddir = ddir
        self.base = f"http://127.0.0.1:{port}"

    def stdout(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def listening(self) -> bool:
        return f"{self.base}/" in self.stdout()

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False


@pytest.fixture
def serve(env: dict[str, str], tmp_path: Path, ddir: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def _launch(flags: tuple[str, ...]) -> Server:
        assert CONGDAN is not None
        port = _unused_port()
        out, err = tmp_path / f"serve-{port}.out", tmp_path / f"serve-{port}.err"
        with out.open("wb") as fo, err.open("wb") as fe:
            proc = subprocess.Popen(
                [CONGDAN, "serve", *flags, "--port", str(port), "--data-dir", str(ddir)],
                stdout=fo,
                stderr=fe,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=tmp_path,
            )
        server = Server(proc, port, out, err, ddir)
        started.append(server)
        return server

    def _start(*flags: str) -> Server:
        # `congdan serve` binds the port it is told (and prints it in links), so it cannot be handed a
        # bound socket; another process may take the port between choosing and binding it, and then
        # the server says so and exits 1: choose another and start again.
        for _attempt in range(5):
            server = _launch(flags)
            try:
                _wait_for(server.listening, 60, "the listening line", server.proc)
                _wait_for(server.healthy, 30, "/healthz", server.proc)
            except AssertionError as exc:
                if server.proc.poll() == 1 and "could not listen on" in server.stderr():
                    continue
                output = f"stdout:\n{server.stdout()}\nstderr:\n{server.stderr()}"
                raise AssertionError(f"{exc}\n{output}") from exc
            return server
        raise AssertionError("no free port found in five attempts")

    try:
        yield _start
    finally:
        for server in started:
            if server.proc.poll() is None:
                server.proc.terminate()
                try:
                    server.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.proc.kill()
                    server.proc.wait(timeout=15)


def _outbox_statuses(ddir: Path) -> dict[str, int]:
    return dict(_query(ddir, "SELECT status, count(*) FROM outbox GROUP BY status"))


def test_serve_demo(serve: Callable[..., Server], ddir: Path) -> None:
    server = serve("--demo")
    out = server.stdout()
    assert f"listening on http://127.0.0.1:{server.port}/" in out
    assert "Đã nạp dữ liệu mẫu" in out
    for account in STAFF:
        assert account.email in out
    assert DEMO_PASSWORD in out
    assert RESIDENT_PHONE in out

    with httpx.Client(base_url=server.base, timeout=10) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["database"] == "ok"

        listing = client.get("/api/v1/reports", params={"limit": 100})
        assert listing.status_code == 200, listing.text
        descriptions = {item["description"] for item in listing.json()["items"]}
        assert descriptions == {text for _c, text, _lat, _long, _addr in REPORTS}
        statuses = {item["status"] for item in listing.json()["items"]}
        assert "resolved" in statuses

        officer = next(a for a in STAFF if a.agency == "so_xay_dung" and a.role == "agency_officer")
        credentials = {"email": officer.email, "password": DEMO_PASSWORD}
        enrolment = client.post("/api/v1/auth/login/enrol", json=credentials)
        assert enrolment.status_code == 200, enrolment.text
        code = pyotp.TOTP(enrolment.json()["secret"]).now()
        login = client.post("/api/v1/auth/login", json=credentials | {"totp": code})
        assert login.status_code == 200, login.text

        # A code request made now is delivered by the in-process worker too.
        assert client.post("/api/v1/auth/code", json={"phone": RESIDENT_PHONE}).status_code == 202

    def drained() -> bool:
        statuses = _outbox_statuses(ddir)
        return bool(statuses) and set(statuses) == {"done"}

    try:
        _wait_for(drained, 20, "the outbox to drain", server.proc)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {_outbox_statuses(ddir)}\nstderr:\n{server.stderr()}") from exc
    assert _outbox_statuses(ddir)["done"] > len(REPORTS)
    codes = _query(ddir, "SELECT payload FROM outbox WHERE event_type = 'auth.code_requested'")
    assert len(codes) == 1 and '"code"' not in codes[0][0]
    [(recipient, answer)] = _query(
        ddir, "SELECT recipient, provider_response FROM deliveries WHERE channel = 'sms'"
    )
    assert recipient.startswith("cd1:dev:") and RESIDENT_PHONE.lstrip("+") not in recipient
    assert answer == "logged"

    server.proc.terminate()
    assert server.proc.wait(timeout=15) is not None


def test_serve_no_worker_leaves_outbox_pending(serve: Callable[..., Server], ddir: Path) -> None:
    server = serve("--demo", "--no-worker")
    with httpx.Client(base_url=server.base, timeout=10) as client:
        assert client.get("/readyz").status_code == 200
        assert client.post("/api/v1/auth/code", json={"phone": RESIDENT_PHONE}).status_code == 202
        assert len(client.get("/api/v1/reports").json()["items"]) > 0
        # The server says it runs no worker of its own: the rows wait for a separate one.
        worker = client.get("/readyz").json()["worker"]
        assert worker["mode"] == "separate" and worker["due"] > len(REPORTS)
    before = _outbox_statuses(ddir)
    assert set(before) == {"pending"} and before["pending"] > len(REPORTS)
    assert _count(ddir, "deliveries") == 0
    [(payload,)] = _query(ddir, "SELECT payload FROM outbox WHERE event_type = 'auth.code_requested'")
    assert '"code"' in payload
    assert "outbox.worker_started" not in server.stderr()

    # They were waiting for a worker, not stuck: a worker that drains them empties the outbox.
    asyncio.run(_drain(ddir))
    assert set(_outbox_statuses(ddir)) == {"done"}
    assert len(_query(ddir, "SELECT id FROM deliveries WHERE channel = 'sms'")) == 1


async def _drain(ddir: Path) -> None:
    from congdan import wiring
    from congdan.db import make_engine, make_sessionmaker

    settings = _sqlite_settings(ddir)
    engine = make_engine(settings)
    shared = wiring.build(settings)
    try:
        await shared.relay(make_sessionmaker(engine), settings).drain()
    finally:
        await shared.close()
        await engine.dispose()


def test_serve_says_clearly_when_the_port_is_taken(run: Any, ddir: Path, migrated: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run("serve", "--port", str(port), "--no-worker", "--data-dir", str(ddir))
    assert result.returncode == 1
    assert "listening on" not in result.stdout  # never claims a socket it does not have
    assert f"could not listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


# ---- classifier ------------------------------------------------------------------------------


def test_classifier_evaluate_prints_accuracy(run: Any, migrated: Path, tmp_path: Path) -> None:
    tsv = tmp_path / "eval.tsv"
    tsv.write_text(
        "category\ttext\n"
        "road_damage\tổ gà to giữa đường Lê Lợi\n"
        "noise\tkaraoke hat to luc nua dem ko ngu dc\n"
        "water_supply\tmất nước máy cả ngày nay\n"
        "water_supply\tnuoc may co mui hoi\n"
        "none\tcho hỏi giá vàng hôm nay\n",
        encoding="utf-8",
    )
    data = json.loads(
        _ok(run("classifier", "evaluate", str(tsv), "--json", "--data-dir", str(migrated))).stdout
    )
    assert set(data) == {
        "top1",
        "top3",
        "n",
        "per_category",
        "ece",
        "reliability",
        "threshold",
        "min_similarity",
        "auto_routed",
        "misrouted",
        "out_of_scope",
        "out_of_scope_held",
        "cross_checked",
        "per_style",
    }
    assert data["n"] == 4 and data["out_of_scope"] == 1  # the out-of-scope row is not in top-1
    assert len(data["reliability"]) == 10 and sum(row["count"] for row in data["reliability"]) == 4
    assert 0 <= data["ece"] <= 1
    assert 0.5 <= data["top1"] <= data["top3"] <= 1
    assert set(data["per_category"]) == {"road_damage", "noise", "water_supply"}
    text = _ok(run("classifier", "evaluate", str(tsv), "--data-dir", str(migrated))).stdout
    assert "Top-1" in text and "Top-3" in text and "water_supply" in text and "Số dòng / rows: 4" in text
    assert "ECE:" in text and "reliability" in text
    assert "by style" in text and "out of scope: " in text
    bad = tmp_path / "bad.tsv"
    bad.write_text("nhan\tvan ban\nnoise\tồn\n", encoding="utf-8")
    failed = run("classifier", "evaluate", str(bad), "--data-dir", str(migrated))
    assert (
        failed.returncode == 1 and "category<TAB>text" in failed.stderr and "Traceback" not in failed.stderr
    )


def test_classifier_train_stores_a_new_version(run: Any, migrated: Path) -> None:
    assert _query(migrated, "SELECT max(version) FROM classifier_models") == [(1,)]
    out = _ok(run("classifier", "train", "--data-dir", str(migrated))).stdout
    assert "version 2" in out and "top-1" in out
    assert _query(migrated, "SELECT max(version), count(*) FROM classifier_models") == [(2, 2)]


@pytest.mark.parametrize("public_base", [None, "https://congdan.example.vn"])
def test_links_in_messages_point_where_the_server_listens(
    serve: Callable[..., Server], env: dict[str, str], ddir: Path, public_base: str | None
) -> None:
    if public_base is not None:
        env["CONGDAN_PUBLIC_BASE_URL"] = public_base
    server = serve()
    with httpx.Client(base_url=server.base, timeout=10) as client:
        sent = client.post(
            "/api/v1/reports",
            json={
                "category": "road_damage",
                "description": "Ổ gà sâu trước chợ Bến Thành.",
                "location": {"lat": 10.7725, "long": 106.6980},
                "contact": {"phone": "0903123456"},
            },
        )
    assert sent.status_code == 201, sent.text
    code = sent.json()["tracking_code"]

    def links() -> list[str]:
        rows = _query(ddir, "SELECT payload FROM outbox WHERE event_type = 'notify.send'")
        return [json.loads(payload)["url"] for (payload,) in rows]

    _wait_for(lambda: bool(links()), 20, "the SMS to the reporter", server.proc)
    expected = public_base or f"http://127.0.0.1:{server.port}"
    # "Received", then "sent to the agency": each links to the tracking page.
    assert set(links()) == {f"{expected}/theo-doi/{code}"}
    assert server.port != 8000


def test_link_address_of_a_bind_address() -> None:
    from congdan.config import base_url_for

    assert base_url_for("0.0.0.0", 8080) == "http://127.0.0.1:8080"
    assert base_url_for("::", 8080) == "http://[::1]:8080"
    assert base_url_for("fe80::1", 9000) == "http://[fe80::1]:9000"
    assert base_url_for("congdan.local", 80) == "http://congdan.local:80"
    # A worker started on its own, told nothing, links to the default server address.
    assert Settings(public_base_url=None).base_url == "http://127.0.0.1:8000"
    assert Settings(public_base_url="https://congdan.example.vn/").base_url == "https://congdan.example.vn"
