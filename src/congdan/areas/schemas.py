from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AreaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    short_name: str
    unit_type: str
    lat: float
    lon: float
    area_km2: float
    has_boundary: bool
