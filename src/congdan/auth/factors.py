"""The staff second factor: TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, so any authenticator
app works) and single-use recovery codes.

A code is accepted for the step before, at and after the current one (clocks drift), and only for
a step later than the last accepted one, so a code seen over someone's shoulder cannot be used
again. The secret is sealed at rest like contact data; recovery codes are kept as keyed hashes and
shown once, when they are made.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from sqlalchemy.ext.asyncio import AsyncSession

from congdan.auth import repository
from congdan.kit.codes import keyed_hash, normalise_tracking_code, tracking_code
from congdan.models import Account, RecoveryCode, StaffFactor

ISSUER = "Công dân số"
STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps either side of now
RECOVERY_CODE_COUNT = 10


@dataclass(frozen=True)
class Enrolment:
    """What a staff member needs to add the account to an authenticator app."""

    secret: str
    uri: str

    @property
    def grouped(self) -> str:
        """The secret in groups of four, easier to type than one run of 32 letters."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))

    def qr_svg(self, label: str) -> str:
        """The otpauth URI as an inline SVG QR code: drawn here, nothing fetched elsewhere."""
        svg: str = segno.make(self.uri, error="m").svg_inline(scale=5, border=4, title=label)
        return svg


def enrolment_for(factor: StaffFactor, account: Account) -> Enrolment:
    name = account.email or str(account.id)
    uri = pyotp.TOTP(factor.secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=name, issuer_name=ISSUER
    )
    return Enrolment(factor.secret, uri)


def step_at(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step whose code `code` is, within the window and after `last_step`, or None."""
    typed = "".join(ch for ch in code if not ch.isspace())
    if len(typed) != DIGITS or not typed.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = step_at(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), typed):
            return step
    return None


async def confirmed_factor(session: AsyncSession, account_id: uuid.UUID) -> StaffFactor | None:
    found = await repository.factor(session, account_id)
    return found if found is not None and found.confirmed_at is not None else None


async def start_enrolment(session: AsyncSession, account: Account) -> StaffFactor:
    """A fresh pending secret (replacing a pending one): it signs in nobody until its first code."""
    await repository.delete_factor(session, account.id)
    factor = StaffFactor(account_id=account.id, secret=pyotp.random_base32(length=32))
    session.add(factor)
    await session.flush()
    return factor


async def new_recovery_codes(session: AsyncSession, key: bytes, account: Account) -> list[str]:
    codes = [tracking_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(account_id=account.id, code_hash=_hash(key, code)) for code in codes)
    await session.flush()
    return codes


async def spend_recovery_code(
    session: AsyncSession, key: bytes, account: Account, code: str, now: datetime
) -> bool:
    normalised = normalise_tracking_code(code)
    if normalised is None:
        return False
    found = await repository.unused_recovery_code(session, account.id, _hash(key, normalised))
    if found is None:
        return False
    found.used_at = now
    return True


def _hash(key: bytes, code: str) -> str:
    return keyed_hash(key, f"recovery|{code}")
