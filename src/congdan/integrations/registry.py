"""Which adapter serves each external channel, from the settings.

Without a provider configured, email and SMS fall back to the development log channel so that
`congdan serve --demo` works with no other service.
"""

from __future__ import annotations

from congdan.config import Settings
from congdan.integrations.channels import Channel, DevLogChannel
from congdan.integrations.email import SmtpEmailChannel
from congdan.integrations.push import WebPushChannel
from congdan.integrations.sms import HttpSmsChannel

EXTERNAL = ("email", "sms", "push")


def build_channels(settings: Settings) -> dict[str, Channel]:
    channels: dict[str, Channel] = {
        "email": SmtpEmailChannel(settings) if settings.smtp_host else DevLogChannel("email"),
        "sms": HttpSmsChannel(settings) if settings.sms_gateway_url else DevLogChannel("sms"),
    }
    if settings.vapid_private_key:
        # Without VAPID keys there is no push: the inbox and the other channels still carry everything.
        channels["push"] = WebPushChannel(settings)
    return channels
