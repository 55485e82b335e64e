from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# A deadline is counted in working days; a quarter of a year is as long as any category waits.
MAX_DEADLINE_DAYS = 90
# Reports this close to an open one of the same category are offered as its duplicates: less than
# a street corner finds nothing, more than a couple of kilometres groups unrelated reports.
MIN_RADIUS_M = 10
MAX_RADIUS_M = 2_000


class CategoryPatch(BaseModel):
    """An administrator's edit of a category's names and defaults; unset fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name_vi: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    deadline_days: int | None = Field(default=None, ge=1, le=MAX_DEADLINE_DAYS)
    duplicate_radius_m: int | None = Field(default=None, ge=MIN_RADIUS_M, le=MAX_RADIUS_M)
    default_agency: str | None = Field(default=None, max_length=64, description="Để trống: không có")
