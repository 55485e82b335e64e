"""Where media bytes live. A folder by default, or a bucket on an S3-compatible server; the keys
are ours, never a client's file name."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import obstore
from obstore.exceptions import BaseError, NotFoundError
from obstore.store import S3Store

from congdan.kit.errors import ServiceUnavailable
from congdan.kit.i18n import _

if TYPE_CHECKING:  # typing-only names in obstore's stubs
    from obstore.store import RetryConfig, S3Config

_KEY = re.compile(r"^[a-z0-9][a-z0-9/_-]*\.[a-z0-9]{2,5}$")


class Storage(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...
    async def get(self, key: str) -> bytes | None: ...
    async def delete(self, key: str) -> None: ...


def _checked(key: str) -> str:
    if not _KEY.match(key) or ".." in key or "//" in key:
        raise ValueError(f"bad storage key: {key!r}")
    return key


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / _checked(key)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"bad storage key: {key!r}")
        return path

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a file and a crash leaves none.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)


_RETRIES: RetryConfig = {
    "max_retries": 3,
    "retry_timeout": timedelta(seconds=10),
    "backoff": {"init_backoff": timedelta(milliseconds=100), "max_backoff": timedelta(seconds=2), "base": 2},
}


class S3Storage:
    """Objects in a bucket of an S3-compatible server (AWS, MinIO, Ceph, SeaweedFS …), under a
    prefix. The server streams them to callers itself rather than handing out presigned addresses:
    who may see a photo is decided per request by the row it belongs to (media/service.py), and a
    presigned address would keep working for whoever it was forwarded to."""

    def __init__(
        self,
        url: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        config: S3Config = {}
        if endpoint_url:
            config["endpoint"] = endpoint_url
        if region:
            config["region"] = region
        if access_key_id and secret_access_key:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key
        # Credentials not given here come from the standard AWS_* variables.
        self.store = S3Store.from_url(
            url,
            config=config,
            client_options={
                "allow_http": bool(endpoint_url and endpoint_url.startswith("http://")),
                "connect_timeout": "5s",
                "timeout": "30s",
            },
            # A few quick retries, then the caller hears 503: an upload must not hang for minutes.
            retry_config=_RETRIES,
        )

    async def put(self, key: str, data: bytes) -> None:
        try:
            await obstore.put_async(self.store, _checked(key), data)
        except BaseError as exc:
            raise _unavailable() from exc

    async def get(self, key: str) -> bytes | None:
        try:
            result = await obstore.get_async(self.store, _checked(key))
            return bytes(await result.bytes_async())
        except (NotFoundError, FileNotFoundError):
            return None
        except BaseError as exc:
            raise _unavailable() from exc

    async def delete(self, key: str) -> None:
        # S3 answers a delete of a missing object with success: erasure may run twice.
        try:
            await obstore.delete_async(self.store, _checked(key))
        except BaseError as exc:
            raise _unavailable() from exc


def _unavailable() -> ServiceUnavailable:
    # The caller may retry (an upload carries an Idempotency-Key); a job's handler is retried later.
    return ServiceUnavailable(
        _("Kho lưu trữ ảnh tạm thời không truy cập được; hãy thử lại sau ít giây."),
        headers={"Retry-After": "5"},
    )
