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


class PasswordCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class PasswordLogin(PasswordCheck):
    totp: str | None = Field(
        default=None,
        max_length=16,
        description="Mã 6 số của ứng dụng xác thực / the 6-digit code of the authenticator app",
    )
    recovery_code: str | None = Field(
        default=None,
        max_length=32,
        description="Mã khôi phục, thay cho totp; dùng một lần / a recovery code instead of totp, used once",
    )


class EnrolmentOut(BaseModel):
    secret: str = Field(description="Khóa bí mật base32 / the base32 secret")
    otpauth_uri: str
    issuer: str
    digits: int
    period: int


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    account_id: uuid.UUID
    role: str
    recovery_codes: list[str] | None = Field(
        default=None,
        description="Mười mã khôi phục, chỉ trả về một lần khi vừa đăng ký xác thực hai lớp / "
        "ten recovery codes, returned once, when the second factor was just enrolled",
    )


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
