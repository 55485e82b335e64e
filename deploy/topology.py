"""The reference topology on one machine, from Debian and PyPI packages alone: HAProxy in front of
three `congdan serve` instances, two `congdan worker` processes (each with its own metrics
listener), a PostgreSQL primary and its streaming replica (a second cluster made with
pg_basebackup), Redis, and an S3-compatible server (moto's). Every part runs on ports of its own,
under one folder, so the machine's own services are left alone.

    python deploy/topology.py start [--dir D] [--base-port P]
    python deploy/topology.py status [--dir D]
    python deploy/topology.py stop [--dir D]

Needs: Debian's postgresql, haproxy and redis-server; the project installed with its test extras
(moto, boto3). See docs/deployment.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pgcluster  # deploy/ is not a package: this script and its users put deploy/ on the path

HERE = Path(__file__).resolve().parent
BUCKET = "congdan-media"
S3_KEY, S3_SECRET, S3_REGION = "topology", "topology-secret", "ap-southeast-1"
SERVES, WORKERS = 3, 2


def _ports(base: int) -> dict[str, int]:
    return {
        "lb": base + 80,
        "primary": base + 432,
        "replica": base + 433,
        "redis": base + 379,
        "s3": base + 900,
        **{f"serve{i}": base + 1 + i for i in range(SERVES)},
        # Each worker's own /metrics, /healthz and /readyz.
        **{f"worker{i}": base + 91 + i for i in range(WORKERS)},
    }


def _pg_bin() -> Path:
    found = pgcluster.pg_bin()
    if found is None:
        sys.exit("PostgreSQL's server binaries are missing: apt-get install postgresql")
    return found


def _run(command: list[str], **kwargs: object) -> None:
    subprocess.run(command, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


def _save(state: dict[str, object]) -> None:
    # Written after every part started, so that `stop` finds whatever a failed start left running.
    path = Path(str(state["root"]), "state.json")
    path.write_text(json.dumps(state, indent=2))
    path.chmod(0o600)  # it holds the data key


def _spawn(command: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # outlives this script; stopped by `stop`
        )
    return proc.pid


def _wait(url: str, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=1, trust_env=False).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"{what} did not answer at {url}")
        time.sleep(0.2)


def _pg_ctl(data: Path, port: int, log: Path, action: str) -> None:
    pgcluster.pg_ctl(_pg_bin(), data, port, log, action)


def _databases(root: Path, ports: dict[str, int]) -> None:
    pg = root / "pg"
    pg.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(pg, "postgres", "postgres")
    pgcluster.init_primary(_pg_bin(), pg / "primary", ports["primary"], pg / "primary.log")
    pgcluster.start_replica(_pg_bin(), ports["primary"], pg / "replica", ports["replica"], pg / "replica.log")


def _environment(root: Path, ports: dict[str, int], data_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGDAN_")}
    return env | {
        "CONGDAN_DATA_DIR": str(root / "data"),
        "CONGDAN_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{ports['primary']}/postgres",
        "CONGDAN_DATABASE_REPLICA_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{ports['replica']}/postgres",
        "CONGDAN_REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
        "CONGDAN_MEDIA_URL": f"s3://{BUCKET}/media",
        "CONGDAN_S3_ENDPOINT_URL": f"http://127.0.0.1:{ports['s3']}",
        "CONGDAN_S3_REGION": S3_REGION,
        "CONGDAN_S3_ACCESS_KEY_ID": S3_KEY,
        "CONGDAN_S3_SECRET_ACCESS_KEY": S3_SECRET,
        "CONGDAN_SECRET_KEY": secrets.token_urlsafe(32),
        "CONGDAN_DATA_KEY": data_key,
        "CONGDAN_TRUSTED_PROXIES": "127.0.0.1",  # HAProxy's X-Forwarded-For is believed
        "CONGDAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['lb']}",
        "CONGDAN_LOG_LEVEL": "INFO",
    }


def _congdan() -> str:
    found = shutil.which("congdan", path=str(Path(sys.executable).parent)) or shutil.which("congdan")
    if not found:
        sys.exit("the congdan command is not installed beside this Python")
    return found


def _worker_command(metrics_port: int) -> list[str]:
    return [_congdan(), "worker", "--metrics-port", str(metrics_port)]


def start(root: Path, base: int, settings: dict[str, str] | None = None) -> dict[str, object]:
    """Starts every part; `settings` are CONGDAN_* values given to every serve and worker on top of
    the topology's own (a benchmark turns the per-client rate limits off with them)."""
    if (root / "state.json").exists():
        raise SystemExit(f"a topology is already in {root}: stop it first")
    root.mkdir(parents=True, exist_ok=True)
    (root / "logs").mkdir(exist_ok=True)
    ports = _ports(base)
    pids: dict[str, int] = {}
    state: dict[str, object] = {"ports": ports, "pids": pids, "root": str(root), "env": {}}
    _save(state)
    _databases(root, ports)
    start_redis(state)
    pids["s3"] = _spawn(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(ports["s3"])],
        root / "logs" / "s3.log",
    )
    _save(state)
    _wait(f"http://127.0.0.1:{ports['s3']}/moto-api/", "the S3-compatible server")
    import boto3

    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{ports['s3']}",
        region_name=S3_REGION,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
    ).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": S3_REGION})

    from congdan.kit.crypto import generate_key_entry

    env = _environment(root, ports, generate_key_entry()) | (settings or {})
    state["env"] = {k: v for k, v in env.items() if k.startswith("CONGDAN_")}
    subprocess.run([_congdan(), "db", "upgrade"], env=env, check=True, capture_output=True)
    for i in range(SERVES):
        port = ports[f"serve{i}"]
        pids[f"serve{i}"] = _spawn(
            [_congdan(), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
            root / "logs" / f"serve{i}.log",
            env,
        )
        _save(state)
    for i in range(WORKERS):
        command = _worker_command(ports[f"worker{i}"])
        pids[f"worker{i}"] = _spawn(command, root / "logs" / f"worker{i}.log", env)
        _save(state)
    for i in range(SERVES):
        _wait(f"http://127.0.0.1:{ports[f'serve{i}']}/healthz", f"serve {i}")
    for i in range(WORKERS):
        _wait(f"http://127.0.0.1:{ports[f'worker{i}']}/healthz", f"worker {i}")
    servers = "\n".join(f"    server serve{i} 127.0.0.1:{ports[f'serve{i}']} check" for i in range(SERVES))
    config = (
        (HERE / "haproxy.cfg")
        .read_text()
        .replace("@LB_PORT@", str(ports["lb"]))
        .replace("@SERVERS@", servers)
        .replace("@UNAVAILABLE@", str(HERE / "unavailable.http"))
        .replace("@ADMIN_SOCKET@", str(root / "haproxy.sock"))
    )
    (root / "haproxy.cfg").write_text(config)
    _run(["haproxy", "-c", "-f", str(root / "haproxy.cfg")])
    pids["lb"] = _spawn(
        ["haproxy", "-W", "-db", "-f", str(root / "haproxy.cfg")], root / "logs" / "haproxy.log"
    )
    _save(state)
    _wait(f"http://127.0.0.1:{ports['lb']}/healthz", "the load balancer")
    return state


def start_redis(state: dict[str, object]) -> None:
    """Redis without persistence: it holds rate-limit counters and live-update channels only."""
    ports: dict[str, int] = state["ports"]  # type: ignore[assignment]
    _run(
        [
            "redis-server",
            "--port",
            str(ports["redis"]),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            str(Path(str(state["root"]), "redis.pid")),
        ]
    )


def set_in_rotation(state: dict[str, object], name: str, serving: bool) -> None:
    """Takes a serve instance out of the load balancer's rotation, or puts it back, through
    HAProxy's admin socket; the process keeps running."""
    command = f"{'enable' if serving else 'disable'} server serve/{name}\n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as admin:
        admin.connect(str(Path(str(state["root"])) / "haproxy.sock"))
        admin.sendall(command.encode())
        answer = admin.recv(4096).decode().strip()
    if answer:
        raise RuntimeError(f"HAProxy refused {command.strip()!r}: {answer}")


def restart_part(state: dict[str, object], name: str) -> None:
    """Starts again a serve or worker process that was killed (the fault test's recovery)."""
    root = Path(str(state["root"]))
    env = os.environ | dict(state["env"])  # type: ignore[arg-type]
    ports: dict[str, int] = state["ports"]  # type: ignore[assignment]
    pids: dict[str, int] = state["pids"]  # type: ignore[assignment]
    if name.startswith("serve"):
        command = [_congdan(), "serve", "--host", "127.0.0.1", "--port", str(ports[name]), "--no-worker"]
    else:
        command = _worker_command(ports[name])
    pids[name] = _spawn(command, root / "logs" / f"{name}.log", env)
    _save(state)


def stop(root: Path) -> None:
    """Stops every part a start left running, then removes the folder."""
    state_file = root / "state.json"
    if not state_file.exists():
        shutil.rmtree(root, ignore_errors=True)
        return
    state = json.loads(state_file.read_text())
    pids: dict[str, int] = state["pids"]
    for name in [
        "lb",
        *[n for n in pids if n.startswith("serve")],
        *[n for n in pids if n.startswith("worker")],
        "s3",
    ]:
        pid = pids.get(name)
        if pid is None:
            continue
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + 20
    for pid in pids.values():
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    ports = state["ports"]
    subprocess.run(
        ["redis-cli", "-p", str(ports["redis"]), "shutdown", "nosave"], capture_output=True, check=False
    )
    pg = root / "pg"
    for cluster in ("replica", "primary"):
        if (pg / cluster).exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                _pg_ctl(pg / cluster, 0, pg / f"{cluster}.log", "stop")
    state_file.unlink()
    shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["start", "status", "stop"])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/congdan-topology"))
    parser.add_argument("--base-port", type=int, default=18000)
    args = parser.parse_args()
    if args.action == "start":
        if (args.dir / "state.json").exists():
            raise SystemExit(f"a topology is already in {args.dir}: stop it first")
        try:
            state = start(args.dir, args.base_port)
        except BaseException:
            stop(args.dir)
            raise
        ports: dict[str, int] = state["ports"]  # type: ignore[assignment]
        print(f"load balancer: http://127.0.0.1:{ports['lb']}/  (stop: {sys.argv[0]} stop --dir {args.dir})")
    elif args.action == "stop":
        stop(args.dir)
    else:
        state = json.loads((args.dir / "state.json").read_text())
        for name, port in state["ports"].items():
            print(f"{name:10} {port}")


if __name__ == "__main__":
    main()
