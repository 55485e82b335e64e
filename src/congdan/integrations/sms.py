"""SMS through an HTTP gateway (Vietnamese carriers' brandname gateways work this way).

The URL, credentials and the payload's shape are settings: the payload is a JSON document whose
strings may hold $to, $text, $sender and $ref, filled per message after parsing so a message can
never break the document. It is sent as JSON or as a form.
"""

from __future__ import annotations

import json
from string import Template
from typing import Any

import httpx

from congdan.config import Settings
from congdan.integrations.channels import ChannelError, OutgoingMessage, strip_diacritics


def _fill(value: Any, fields: dict[str, str]) -> Any:
    if isinstance(value, str):
        return Template(value).safe_substitute(fields)
    if isinstance(value, dict):
        return {k: _fill(v, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, fields) for v in value]
    return value


class HttpSmsChannel:
    name = "sms"

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        if not settings.sms_gateway_url:
            raise ValueError("CONGDAN_SMS_GATEWAY_URL is not set")
        self.settings = settings
        self.template = json.loads(settings.sms_gateway_payload)
        if settings.sms_gateway_format not in ("json", "form"):
            raise ValueError("CONGDAN_SMS_GATEWAY_FORMAT must be json or form")
        self.client = client

    def payload(self, message: OutgoingMessage) -> Any:
        text = strip_diacritics(message.text) if self.settings.sms_no_diacritics else message.text
        fields = {
            "to": message.to,
            "text": text,
            "sender": self.settings.sms_sender,
            "ref": message.reference,
        }
        return _fill(self.template, fields)

    async def send(self, message: OutgoingMessage) -> str:
        s = self.settings
        body = self.payload(message)
        kwargs: dict[str, Any] = {"json": body} if s.sms_gateway_format == "json" else {"data": body}
        if s.sms_gateway_user:
            kwargs["auth"] = httpx.BasicAuth(s.sms_gateway_user, s.sms_gateway_password or "")
        url = s.sms_gateway_url
        assert url is not None
        if self.client is None:
            # One client per worker: connections to the gateway are kept alive between messages.
            self.client = httpx.AsyncClient(timeout=s.sms_timeout_seconds)
        try:
            response = await self.client.post(url, **kwargs)
        except httpx.HTTPError as exc:
            raise ChannelError(f"{type(exc).__name__}: {exc}") from exc
        answer = f"{response.status_code} {response.text[:400]}"
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise ChannelError(answer)
        if response.status_code >= 400:
            raise ChannelError(answer, permanent=True)
        return answer
