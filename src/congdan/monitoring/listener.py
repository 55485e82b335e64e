"""A standalone worker's own small HTTP listener: /metrics (its counters in Prometheus's text format,
for the scraper only: monitoring/access.py), /healthz (the process answers) and /readyz (its loop
finishes rounds). prometheus-client's WSGI application and threading server, in a thread beside the
worker's event loop, so that a loop that hangs still answers and /readyz can say so."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import REGISTRY, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from congdan.kit.metrics import POOL_IN_USE, POOL_SIZE
from congdan.monitoring.access import scraper_allowed


class CannotListen(Exception):
    pass


@dataclass(frozen=True)
class Probe:
    """What the listener asks the worker, from the listener's thread, at each request."""

    seconds_since_round: Callable[[], float]  # since the loop last finished a round, or started
    stall_seconds: float
    pool: Callable[[], tuple[int, int] | None]  # connections in use and pool size, when known


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged: one line every few seconds would say nothing."""


def _json(start_response: StartResponse, status: str, body: dict[str, object]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    start_response(status, [*headers, ("Cache-Control", "no-store")])
    return [data]


def application(token: str | None, probe: Probe) -> WSGIApplication:
    metrics: WSGIApplication = make_wsgi_app(REGISTRY)

    def answer(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Length", "0")])
            return [b""]
        if path == "/healthz":
            return _json(start_response, "200 OK", {"status": "ok"})
        if path == "/readyz":
            since = probe.seconds_since_round()
            stalled = since > probe.stall_seconds
            status = "503 Service Unavailable" if stalled else "200 OK"
            body: dict[str, object] = {
                "status": "unavailable" if stalled else "ok",
                "seconds_since_last_round": round(since, 3),
            }
            if stalled:
                body["stalled"] = True
            return _json(start_response, status, body)
        allowed = scraper_allowed(
            token,
            str(environ.get("HTTP_AUTHORIZATION", "")),
            forwarded="HTTP_X_FORWARDED_FOR" in environ or "HTTP_FORWARDED" in environ,
            client_host=str(environ.get("REMOTE_ADDR", "")),
        )
        if path != "/metrics" or not allowed:  # a refused scraper is not even told it is here
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        figures = probe.pool()
        if figures is not None:
            POOL_IN_USE.set(figures[0])
            POOL_SIZE.set(figures[1])
        return metrics(environ, start_response)

    return answer


class Listener:
    def __init__(self, server: WSGIServer) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, name="metrics-listener", daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start(host: str, port: int, token: str | None, probe: Probe) -> Listener:
    """Bound before it returns: a port that cannot be had raises CannotListen."""

    class Server(ThreadingWSGIServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    try:
        server = make_server(host, port, application(token, probe), Server, handler_class=_Quiet)
    except OSError as exc:
        raise CannotListen(str(exc)) from exc
    return Listener(server)
