from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    name_en: str
    kind: str
    area_code: str | None
    email: str | None
    phone: str | None


KINDS = ("department", "company", "police", "committee")


class AgencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)
    kind: Literal["department", "company", "police", "committee"]
    area: str | None = Field(default=None, max_length=16, description="Chỉ cho UBND phường, xã")
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=500)


class AgencyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=300)
    name_en: str | None = Field(default=None, min_length=1, max_length=300)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=500)
