"""Personal data at rest: AES-GCM with named keys so they can rotate, and keyed hashes for lookups.

A sealed value reads `cd1:<key id>:<base64url(nonce || ciphertext)>`. The column it lives in is
bound as associated data, so a value copied into another column does not open there.

Column types need the keys without a settings object at hand: db.make_engine attaches its
settings' keyring to the engine's dialect, which SQLAlchemy hands to every column type, so two
engines with different settings in one process (tests, tools) never mix keys. A process-wide
keyring is the fallback for connections made elsewhere (the migrations install it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.hybrid import Comparator, hybrid_property
from sqlalchemy.sql import ColumnElement, operators
from sqlalchemy.types import TypeDecorator

PREFIX = "cd1"
DEV_KEY_ID = "dev"
_NONCE = 12


class KeyConfigError(RuntimeError):
    """The data key setting is missing or malformed; raised at startup, never mid-request."""


class SealError(ValueError):
    """A stored value could not be opened: a wrong or missing key, or a tampered value."""


@dataclass(frozen=True)
class Keyring:
    primary: str
    keys: dict[str, bytes]
    lookup_key: bytes

    def seal(self, plaintext: str, purpose: str) -> str:
        nonce = os.urandom(_NONCE)
        body = AESGCM(self.keys[self.primary]).encrypt(nonce, plaintext.encode(), purpose.encode())
        return f"{PREFIX}:{self.primary}:{base64.urlsafe_b64encode(nonce + body).decode().rstrip('=')}"

    def open(self, sealed: str, purpose: str) -> str:
        parts = sealed.split(":", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            raise SealError(f"{purpose}: value is not sealed")
        _prefix, key_id, body = parts
        key = self.keys.get(key_id)
        if key is None:
            raise SealError(f"{purpose}: no key with id {key_id!r} is configured")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        try:
            return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], purpose.encode()).decode()
        except InvalidTag as exc:
            raise SealError(f"{purpose}: value does not open with key {key_id!r}") from exc

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self.lookup_key, value.encode(), hashlib.sha256).hexdigest()


def key_id_of(sealed: str) -> str | None:
    parts = sealed.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    return parts[1]


def generate_key_entry() -> str:
    """A new `id:key` entry for CONGDAN_DATA_KEY."""
    key_id = "k" + secrets.token_hex(4)
    key = base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()
    return f"{key_id}:{key}"


def parse_keys(raw: str) -> list[tuple[str, bytes]]:
    """`id:base64key[,id:base64key...]`; the first key seals, all of them open."""
    entries: list[tuple[str, bytes]] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        key_id, sep, encoded = part.partition(":")
        if not sep or not key_id.isalnum():
            raise KeyConfigError("CONGDAN_DATA_KEY: each entry is id:base64key, the id letters and digits")
        try:
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError as exc:
            raise KeyConfigError(f"CONGDAN_DATA_KEY: key {key_id!r} is not base64") from exc
        if len(key) != 32:
            raise KeyConfigError(f"CONGDAN_DATA_KEY: key {key_id!r} must be 32 bytes (AES-256)")
        entries.append((key_id, key))
    if not entries:
        raise KeyConfigError("CONGDAN_DATA_KEY is empty")
    return entries


def build_keyring(data_key: str | None, secret: bytes, *, allow_dev_key: bool) -> Keyring:
    lookup_key = hmac.new(secret, b"congdan/contact-lookup/v1", hashlib.sha256).digest()
    entries = parse_keys(data_key) if data_key else []
    if allow_dev_key:
        # The embedded demo needs no setup; its key comes from the data dir's secret. It stays
        # readable after a real key is configured so that `congdan keys rotate` can move off it.
        entries.append((DEV_KEY_ID, hmac.new(secret, b"congdan/dev-data-key/v1", hashlib.sha256).digest()))
    if not entries:
        raise KeyConfigError(
            "CONGDAN_DATA_KEY is required with PostgreSQL or CONGDAN_ENVIRONMENT=production "
            "(the key that encrypts phone numbers and emails). Create one with `congdan keys generate`. / "
            "Cần đặt CONGDAN_DATA_KEY (khóa mã hóa số điện thoại và email)."
        )
    return Keyring(primary=entries[0][0], keys=dict(entries), lookup_key=lookup_key)


_active: Keyring | None = None
_ATTR = "congdan_keyring"


def install(keyring: Keyring) -> None:
    global _active
    _active = keyring


def active() -> Keyring:
    if _active is None:
        raise KeyConfigError("no data keyring installed: open the database through congdan.db.make_engine")
    return _active


def attach(dialect: Dialect, keyring: Keyring) -> None:
    setattr(dialect, _ATTR, keyring)


def keyring_for(dialect: Dialect) -> Keyring:
    found = getattr(dialect, _ATTR, None)
    return found if isinstance(found, Keyring) else active()


class LookupHash(TypeDecorator[str]):
    """The keyed hash of a value, computed as the value is bound, with the keys of the engine
    that binds it. In Python the attribute holds what was assigned; the database holds the hash."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_for(dialect).lookup_hash(value)


class SealedText(TypeDecorator[str]):
    """Text stored sealed; the ORM hands back plaintext. Equality in SQL cannot work on it:
    look such values up through a keyed-hash column (see hashed_lookup)."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_for(dialect).seal(value, self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_for(dialect).open(value, self.purpose)


class SealedJSON(TypeDecorator[Any]):
    """A JSON document stored sealed (e.g. remembered responses that carry contact details)."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return keyring_for(dialect).seal(compact, self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(keyring_for(dialect).open(value, self.purpose))


class _HashComparator(Comparator[str]):
    """`Model.email == x` in a query compares keyed hashes (the hash column's type hashes the
    bound value), so lookups keep reading naturally."""

    def operate(self, op: Any, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
        if op in (operators.eq, operators.ne, operators.is_, operators.is_not, operators.in_op):
            return op(self.expression, *other)  # type: ignore[no-any-return]
        raise NotImplementedError(f"{op} on a sealed column; compare with == or in_()")


def hashed_lookup(sealed_attr: str, hash_attr: str) -> hybrid_property[str | None]:
    """An attribute whose value is sealed in one column and keyed-hashed in another: setting it
    fills both, reading it opens the first, and comparing it in SQL uses the second."""

    def fget(self: Any) -> str | None:
        value: str | None = getattr(self, sealed_attr)
        return value

    def fset(self: Any, value: str | None) -> None:
        setattr(self, sealed_attr, value)
        setattr(self, hash_attr, value)  # LookupHash hashes it on the way to the database

    def comparator(cls: Any) -> Comparator[str]:
        return _HashComparator(getattr(cls, hash_attr))

    prop: hybrid_property[str | None] = hybrid_property(fget, fset, custom_comparator=comparator)  # type: ignore[arg-type]
    return prop
