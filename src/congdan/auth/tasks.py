"""Delivering one-time codes. Until real channels arrive, the development channel logs them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Delivery, OtpChallenge, OutboxMessage
from congdan.outbox.registry import HandlerContext, handles


@handles("auth.code_requested", scrub_keys=("code",))
async def deliver_code(session: AsyncSession, message: OutboxMessage, ctx: HandlerContext) -> None:
    payload = message.payload
    challenge = await session.get(OtpChallenge, uuid.UUID(str(payload["challenge_id"])))
    if challenge is None:  # the person deleted their account before the code went out
        return
    destination = challenge.destination
    ctx.log.warning(
        "auth.dev_channel_code",
        channel=payload["channel"],
        destination=destination,
        code=payload.get("code"),
        note="development channel: the code is written to the log instead of being sent",
    )
    session.add(
        Delivery(
            outbox_id=message.id,
            channel="dev-log",
            recipient=destination,
            status="sent",
            provider_response="logged",
        )
    )
