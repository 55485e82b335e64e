"""Wire shapes that several domains' schemas are built from."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Location(BaseModel):
    lat: float = Field(ge=-90, le=90, description="Vĩ độ (WGS84)")
    long: float = Field(ge=-180, le=180, description="Kinh độ (WGS84)")


class CodeName(BaseModel):
    code: str
    name: str


class AreaRef(CodeName):
    approximate: bool
