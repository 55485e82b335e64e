"""Secrets people read out or paste: tracking codes, tokens, and their keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Crockford's base32: no I, L, O, U, so a code read over the phone is not misheard.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def tracking_code() -> str:
    """Ten symbols of 5 bits each: 50 bits of randomness, shown as XXXXX-XXXXX."""
    symbols = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{symbols[:5]}-{symbols[5:]}"


def normalise_tracking_code(raw: str) -> str | None:
    cleaned = raw.upper().replace("-", "").replace(" ", "").translate(_READ_AS)
    if len(cleaned) != 10 or any(ch not in _ALPHABET for ch in cleaned):
        return None
    return f"{cleaned[:5]}-{cleaned[5:]}"


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def numeric_code(digits: int = 6) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(digits))
