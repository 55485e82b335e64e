"""The categories over HTTP, for forms and clients."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from congdan.categories import repository
from congdan.deps import LocaleDep, SessionDep
from congdan.kit.problems import problems

router = APIRouter(prefix="/api/v1/categories", tags=["reference"])


class CategoryOut(BaseModel):
    code: str
    name: str
    name_vi: str
    name_en: str
    level: str
    deadline_days: int
    duplicate_radius_m: int
    default_agency: str | None


@router.get(
    "", response_model=list[CategoryOut], summary="Lĩnh vực phản ánh / Categories", responses=problems()
)
async def list_categories(session: SessionDep, locale: LocaleDep) -> list[CategoryOut]:
    return [
        CategoryOut(
            code=c.code,
            name=c.name_en if locale == "en" else c.name_vi,
            name_vi=c.name_vi,
            name_en=c.name_en,
            level=c.level,
            deadline_days=c.deadline_days,
            duplicate_radius_m=c.duplicate_radius_m,
            default_agency=c.default_agency_code,
        )
        for c in await repository.categories(session)
    ]
