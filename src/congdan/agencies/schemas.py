from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    name_en: str
    kind: str
    area_code: str | None
    email: str | None
    phone: str | None
