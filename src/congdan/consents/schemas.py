"""What the consent endpoints give."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class ConsentOut(BaseModel):
    id: uuid.UUID
    purpose: str = Field(description="account | report_handling")
    notice_version: str
    source: str = Field(description="sign_in | report")
    granted_at: datetime
    withdrawn_at: datetime | None
    active: bool


class ConsentList(BaseModel):
    items: list[ConsentOut]
