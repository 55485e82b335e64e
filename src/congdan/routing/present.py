"""Routing's findings as the API and the report page show them: category names in the caller's
language; a suggestion while typing with the same guesses, agency and possible duplicates."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.areas import repository as areas_repo
from congdan.models import Category
from congdan.routing.duplicates import Candidate
from congdan.routing.schemas import AlsoOut, CategoryGuess, DuplicateOut, SuggestOut
from congdan.routing.suggestions import Suggestion
from congdan.shared.schemas import AreaRef, CodeName
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


async def suggestion_out(session: AsyncSession, found: Suggestion, locale: str) -> SuggestOut:
    ranked = found.classification.ranked if found.classification else []
    guesses = [
        CategoryGuess(
            code=r.code, name=category_name(found.categories[r.code], locale), confidence=r.confidence
        )
        for r in ranked
        if r.code in found.categories
    ]
    located = found.decision.area
    agency_code = None if found.triage else found.decision.agency_code
    area = await areas_repo.get_area(session, located.area_code) if located else None
    agency = await agencies_repo.get_agency(session, agency_code) if agency_code else None
    return SuggestOut(
        categories=guesses,
        area=AreaRef(code=area.code, name=area.name, approximate=located.approximate)
        if area and located
        else None,
        agency=CodeName(code=agency.code, name=agency.name_en if locale == "en" else agency.name)
        if agency
        else None,
        triage=found.triage,
        triage_reason=found.triage_reason if found.triage else None,
        duplicates=duplicates_out(found.duplicates, found.categories, locale),
        also=AlsoOut(
            code=found.also.code,
            name=category_name(found.categories[found.also.code], locale),
            confidence=found.also.confidence,
            text=found.also.text,
        )
        if found.also
        else None,
        classifier_version=found.classification.version if found.classification else None,
    )
