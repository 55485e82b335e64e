"""Unsubscribe tokens: a link in an email turns off that channel without signing in.

The token is sealed with the data key (AES-GCM, bound to this use), so the address it names cannot
be read from the link, the queued message that carries it or a log. Links sent before tokens were
sealed were only signed; they are still honoured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from congdan.config import Settings
from congdan.kit.crypto import SealError

PURPOSE = "notifications.unsubscribe"


@dataclass(frozen=True)
class Unsubscribe:
    channel: str
    destination: str
    account_id: str | None


def _signed_only(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.resolved_secret_key, salt="congdan.unsubscribe")


def make_token(settings: Settings, target: Unsubscribe) -> str:
    fields = [target.channel, target.destination, target.account_id]
    return settings.keyring.seal(json.dumps(fields, ensure_ascii=False), PURPOSE)


def read_token(settings: Settings, token: str) -> Unsubscribe | None:
    try:
        channel, destination, account_id = json.loads(settings.keyring.open(token, PURPOSE))
    except SealError:
        try:
            channel, destination, account_id = _signed_only(settings).loads(token)
        except (BadSignature, ValueError, TypeError):
            return None
    except (ValueError, TypeError):
        return None
    return Unsubscribe(str(channel), str(destination), str(account_id) if account_id else None)
