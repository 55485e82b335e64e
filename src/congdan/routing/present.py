"""Routing's findings as the API shows them: category names in the caller's language."""

from __future__ import annotations

from congdan.models import Category
from congdan.routing.duplicates import Candidate
from congdan.routing.schemas import DuplicateOut
from congdan.shared.schemas import CodeName
from congdan.shared.statuses import Status


def category_name(category: Category, locale: str) -> str:
    return category.name_en if locale == "en" else category.name_vi


def category_ref(category: Category | None, locale: str) -> CodeName | None:
    return CodeName(code=category.code, name=category_name(category, locale)) if category else None


def duplicates_out(
    found: list[Candidate], categories: dict[str, Category], locale: str
) -> list[DuplicateOut]:
    return [
        DuplicateOut(
            id=c.report.id,
            tracking_code=c.report.tracking_code,
            category=category_ref(categories.get(c.report.category_code or ""), locale),
            status=Status(c.report.status),
            description=c.report.description,
            created_at=c.report.created_at,
            distance_m=c.distance_m,
            similarity=c.similarity,
            score=c.score,
        )
        for c in found
    ]
