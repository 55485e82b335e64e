from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)


class CodeVerify(CodeRequest):
    code: str = Field(min_length=4, max_length=12)


class CodeSent(BaseModel):
    channel: str
    expires_in: int


class PasswordLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    account_id: uuid.UUID
    role: str


class MeOut(BaseModel):
    id: uuid.UUID
    role: str
    email: str | None
    phone: str | None
    display_name: str | None
    agency: str | None
    locale: str


class ProofRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact: str = Field(
        min_length=1, max_length=254, description="Số điện thoại hoặc email đã để lại / phone or email left"
    )


class ProofVerify(ProofRequest):
    code: str = Field(min_length=4, max_length=12)


class ProofAccepted(BaseModel):
    detail: str = Field(description="Mã được gửi nếu liên hệ khớp / a code is sent if the contact matches")


class ProofTokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    report_id: uuid.UUID
