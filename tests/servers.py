"""Real servers the notification tests talk to: an SMTP server (aiosmtpd) and a small HTTP server
(aiohttp) that plays an SMS gateway or a web push service. Import the fixtures into a test module."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import json
import socket
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER = "congdan"
SMTP_PASSWORD = "mat-khau-smtp"


def listening_socket() -> socket.socket:
    """A socket bound to a port the system chose and already listening, for a server to adopt: no other
    process can take the port between choosing it and serving on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def refusing_port() -> socket.socket:
    """A socket bound but not listening: connecting to its port is refused for as long as it is open."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def unused_port() -> int:
    """A port free a moment ago, for a program that cannot adopt a socket (`congdan serve`): another
    process may take it before the program binds, so the caller must handle "could not listen"."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return port_of(sock)


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


@dataclass
class MailBox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    temporarily_down: bool = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.temporarily_down:
            return "451 4.3.0 Try again later"
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@dataclass
class SmtpServer:
    host: str
    port: int
    box: MailBox
    ca_file: Path | None = None


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class _SocketController(Controller):
    """aiosmtpd's controller serving on a socket it is handed instead of binding host:port itself."""

    def __init__(self, handler: Any, sock: socket.socket, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=port_of(sock), **kwargs)
        self._sock = sock

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


def _start(box: MailBox, **kwargs: Any) -> tuple[Controller, int]:
    controller = _SocketController(box, listening_socket(), **kwargs)
    controller.start()
    return controller, controller.port


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """Plain SMTP with AUTH (allowed without TLS on loopback only because the test says so)."""
    box = MailBox()
    controller, port = _start(box, authenticator=_authenticator, auth_require_tls=False)
    try:
        yield SmtpServer("127.0.0.1", port, box)
    finally:
        controller.stop()


@pytest.fixture
def smtp_tls_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """SMTP that refuses mail until STARTTLS, with a self-signed certificate the client is told to trust."""
    import ssl

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = MailBox()
    controller, port = _start(box, tls_context=context, require_starttls=True)
    try:
        yield SmtpServer("127.0.0.1", port, box, ca_file=cert)
    finally:
        controller.stop()


@dataclass
class Recorded:
    method: str
    path: str
    headers: Mapping[str, str]  # case-insensitive, as HTTP headers are
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpRecorder:
    """Records every request; answers with `status` (a list is consumed one answer per request)."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    status: int = 200
    answers: list[int] = field(default_factory=list)
    body: str = '{"status": "accepted"}'
    delay: float = 0.0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Recorded(request.method, request.path_qs, request.headers.copy(), body))
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.answers.pop(0) if self.answers else self.status
        return web.Response(status=status, text=self.body, content_type="application/json")


@pytest_asyncio.fixture
async def http_server() -> AsyncIterator[HttpRecorder]:
    recorder = HttpRecorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = listening_socket()
    site = web.SockSite(runner, sock)
    await site.start()
    recorder.url = f"http://127.0.0.1:{port_of(sock)}"
    try:
        yield recorder
    finally:
        await runner.cleanup()
        sock.close()
