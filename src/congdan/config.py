"""Settings, read from environment variables with the CONGDAN_ prefix."""

from __future__ import annotations

import ipaddress
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from congdan.kit.crypto import Keyring, build_keyring

# A standalone worker that was not told the server's address assumes the default `serve`.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def base_url_for(host: str, port: int) -> str:
    """The link address of a server bound to host:port; a wildcard bind is reached on loopback."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - naming the wildcard, not binding to it
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONGDAN_", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str | None = None
    # A streaming replica for reads that may be a moment old (public map, Open311 GET, analytics);
    # used while no further behind than the lag below; a browser that has just written, and any
    # signed-in caller, read the primary.
    database_replica_url: str | None = None
    replica_max_lag_seconds: float = Field(default=5.0, gt=0)
    read_your_writes_seconds: int = Field(default=15, ge=1)
    media_dir: Path | None = None
    # Media in a bucket instead of the folder: s3://bucket/prefix on an S3-compatible server.
    # Credentials not set here come from the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    media_url: str | None = Field(default=None, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    secret_key: str | None = None

    # Auth
    token_ttl_hours: int = 24 * 30
    staff_token_ttl_hours: int = 12
    # Staff browser sessions end after this long without a request, and in any case this long
    # after the sign-in.
    staff_idle_minutes: int = Field(default=30, ge=1)
    staff_session_hours: int = Field(default=12, ge=1)
    otp_ttl_minutes: int = 10
    otp_max_attempts: int = 5
    report_proof_ttl_hours: int = 24  # an anonymous reporter's proof for one report
    # A resident's browser stays signed in this long after its last visit (the expiry slides).
    resident_session_days: int = 30

    # Reports
    max_photos: int = 5
    max_photo_bytes: int = 10 * 1024 * 1024
    max_photo_pixels: int = 50_000_000
    max_body_bytes: int = 12 * 1024 * 1024
    # JSON bodies: a report is a few kilobytes; an operation that needs more declares its own limit.
    max_json_body_bytes: int = 64 * 1024
    # A photo within the pixel count can still be a 1×49,000,000 strip that costs a gigabyte.
    max_photo_side: int = 20_000
    max_photo_aspect: int = 20
    # Photos decoded at once (each may briefly hold a few hundred megabytes).
    image_workers: int = Field(default=2, ge=1)
    reopen_days: int = 7
    default_deadline_days: int = 5
    # An overdue report goes up to the coordinators this many working days after its deadline.
    escalate_after_days: int = Field(default=2, ge=0)
    idempotency_lock_seconds: int = 60
    idempotency_retention_hours: int = 48
    housekeeping_interval_seconds: float = Field(default=600.0, gt=0)  # workers purge expired keys

    # Outbox
    outbox_batch_size: int = 20
    outbox_poll_seconds: float = 0.5
    # Renewed while a row is worked on, so a row of a worker that died comes back within one lease.
    outbox_lease_seconds: float = Field(default=15.0, gt=0)
    outbox_max_attempts: int = 8
    outbox_concurrency: int = Field(default=8, ge=1)  # rows of different aggregates handled at once

    # Routing (what, where, who, already reported?)
    # Under this confidence a person decides. Unset: the active classifier version's own threshold,
    # chosen from the held-out curve for the misrouting goal when it was trained.
    routing_min_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    duplicate_window_days: int = Field(default=30, ge=1)

    # Open311 GeoReport v2: the one jurisdiction this server answers for.
    open311_jurisdiction: str = "hochiminhcity.gov.vn"

    run_worker_in_process: bool = True
    # Processes `congdan serve` forks to share its socket (PostgreSQL only above 1); `--workers`.
    serve_workers: int = Field(default=1, ge=1)
    # /readyz answers 503 when the in-process worker has not finished a round for this long (and
    # a standalone worker's own /readyz likewise).
    worker_stall_seconds: float = Field(default=120.0, gt=0)
    # `congdan worker` answers /metrics, /healthz and /readyz on this port (`--metrics-port`);
    # unset, it listens on none (two workers on one machine need a port each).
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    worker_metrics_host: str = "127.0.0.1"
    log_level: str = "INFO"
    # json: one JSON object a line, for a log collector; console: readable lines for a person.
    # Unset: console on a terminal, json otherwise (under systemd, in a container).
    log_format: Literal["json", "console"] | None = None
    pool_size: int = Field(default=10, ge=1)

    # Notifications, announcements, live updates
    # Where links in messages point. `congdan serve` fills it from its bind address when unset.
    public_base_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_ca_file: Path | None = None
    smtp_timeout_seconds: float = 20.0
    mail_from: str = "Công dân số <no-reply@congdan.local>"
    sms_gateway_url: str | None = None
    sms_gateway_user: str | None = None
    sms_gateway_password: str | None = None
    # A JSON document; $to, $text, $sender and $ref in its strings are filled per message.
    sms_gateway_payload: str = '{"to": "$to", "from": "$sender", "text": "$text", "ref": "$ref"}'
    sms_gateway_format: str = "json"  # json | form
    sms_sender: str = "CONGDANSO"
    sms_no_diacritics: bool = True
    sms_timeout_seconds: float = 20.0
    # Shared by every instance: rate-limit counters and live-update fan-out; memory when unset.
    redis_url: str | None = None
    vapid_private_key: str | None = None
    vapid_public_key: str | None = None
    vapid_subject: str = "mailto:admin@congdan.local"
    # Web-push endpoints: only these hosts (names, or `*.suffix`), comma-separated; empty allows any
    # public host, e.g. "fcm.googleapis.com,updates.push.services.mozilla.com,*.notify.windows.com,
    # web.push.apple.com".
    push_allowed_hosts: str = ""
    # For tests and development only: lets push go to http and to loopback or private addresses.
    push_allow_private_endpoints: bool = False
    alert_batch_size: int = Field(default=500, ge=1)
    # The residents' map: a tile server's URL template ({s}, {z}, {x}, {y}), e.g.
    # "https://{s}.tile.example.org/{z}/{x}/{y}.png", and the credit it asks for. Empty: the map
    # shows the markers over a plain background, and the pages load images from this server only.
    map_tile_url: str = ""
    map_tile_attribution: str = ""
    # The emergency-alert banner on residents' pages is read at most this often per unit.
    alert_banner_cache_seconds: float = Field(default=15.0, ge=0)
    # After startup, the objects alive then (modules, the classifier, catalogues, the area index) are
    # kept out of the cyclic garbage collector's full passes, which otherwise scan them all and
    # stall every request in flight for about 200 ms every few seconds under load.
    freeze_startup_objects: bool = True
    # Backoff doubles from 1 s to an hour: 16 tries span about five hours, so a provider that is
    # down for an hour loses nothing.
    notify_max_attempts: int = Field(default=16, ge=1)

    @property
    def base_url(self) -> str:
        """The address links are built on, without a trailing slash."""
        return (self.public_base_url or DEFAULT_BASE_URL).rstrip("/")

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        path = (self.data_dir / "congdan.sqlite3").resolve()
        return f"sqlite+aiosqlite:///{path}"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database's file, or None on PostgreSQL or an in-memory database."""
        if not self.is_sqlite:
            return None
        database = make_url(self.resolved_database_url).database
        return Path(database) if database and database != ":memory:" else None

    @cached_property
    def resolved_media_dir(self) -> Path:
        return (self.media_dir or self.data_dir / "media").resolve()

    @cached_property
    def resolved_secret_key(self) -> bytes:
        """The key for keyed hashes; kept in the data dir when not given, so restarts keep it."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip().encode()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key.encode()

    # Personal data at rest: `id:base64key[,id:key...]`, the first seals (see kit/crypto.py).
    data_key: str | None = None
    environment: str = "development"  # "production" refuses the derived demo key even on SQLite

    @cached_property
    def keyring(self) -> Keyring:
        allow_dev = self.is_sqlite and self.environment != "production"
        return build_keyring(self.data_key, self.resolved_secret_key, allow_dev_key=allow_dev)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.resolved_media_dir.mkdir(parents=True, exist_ok=True)

    # /metrics for Prometheus: a bearer token for the scraper; unset, only a caller on this machine
    # that came through no proxy is answered.
    metrics_token: str | None = None

    # Security (congdan.security): rate limits, cookies, CSRF.
    rate_limits_enabled: bool = True
    rate_limits: dict[str, str] = Field(default_factory=dict)  # rule -> "N/period;..."; see ratelimit.py
    rate_limit_key_prefix: str = "congdan"
    session_cookie_name: str = "congdan_session"  # a resident's browser session
    # A staff member's, apart: signing in as a resident in the same browser leaves it alone.
    staff_session_cookie_name: str = "congdan_staff_session"
    # Reverse proxies whose X-Forwarded-For/-Proto are believed: addresses or CIDRs, comma-separated.
    # Empty: the socket peer is the client, whatever headers it sends.
    trusted_proxies: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        for entry in _split(value):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"CONGDAN_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
                ) from None
        return value

    @field_validator("map_tile_url")
    @classmethod
    def _check_map_tile_url(cls, value: str) -> str:
        if value and not (
            value.startswith(("https://", "http://")) and all(p in value for p in ("{z}", "{x}", "{y}"))
        ):
            raise ValueError("CONGDAN_MAP_TILE_URL: an http(s) URL with {z}, {x} and {y}, or empty")
        return value

    @property
    def push_allowed_host_list(self) -> list[str]:
        return _split(self.push_allowed_hosts)

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _split(self.trusted_proxies)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
