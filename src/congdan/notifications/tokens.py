"""Signed unsubscribe tokens: a link in an email turns off that channel without signing in."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from congdan.config import Settings


@dataclass(frozen=True)
class Unsubscribe:
    channel: str
    destination: str
    account_id: str | None


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.resolved_secret_key, salt="congdan.unsubscribe")


def make_token(settings: Settings, target: Unsubscribe) -> str:
    return str(_serializer(settings).dumps([target.channel, target.destination, target.account_id]))


def read_token(settings: Settings, token: str) -> Unsubscribe | None:
    try:
        channel, destination, account_id = _serializer(settings).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return Unsubscribe(str(channel), str(destination), str(account_id) if account_id else None)
