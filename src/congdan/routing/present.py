"""What a suggestion while typing looks like to its reader: the API's answer and the report page
show the same guesses, the same agency and the same possible duplicates."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.models import Category
from congdan.reports import repository as reports_repo
from congdan.reports.schemas import AreaRef, CodeName
from congdan.reports.states import Status
from congdan.routing.duplicates import Candidate
from congdan.routing.schemas import CategoryGuess, DuplicateOut, SuggestOut
from congdan.routing.service import Suggestion


def category_name(category: Category, locale: str) -> str:
    return category.name_en if locale == "en" else category.name_vi


def _category_ref(category: Category | None, locale: str) -> CodeName | None:
    return CodeName(code=category.code, name=category_name(category, locale)) if category else None


def duplicates_out(
    found: list[Candidate], categories: dict[str, Category], locale: str
) -> list[DuplicateOut]:
    return [
        DuplicateOut(
            id=c.report.id,
            tracking_code=c.report.tracking_code,
            category=_category_ref(categories.get(c.report.category_code or ""), locale),
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
    _c, areas, agencies = await reports_repo.names_for(
        session,
        categories=set(),
        areas={located.area_code} if located else set(),
        agencies={agency_code} if agency_code else set(),
    )
    area = areas.get(located.area_code) if located else None
    agency = agencies.get(agency_code or "")
    return SuggestOut(
        categories=guesses,
        area=AreaRef(code=area.code, name=area.name, approximate=located.approximate)
        if area and located
        else None,
        agency=CodeName(code=agency.code, name=agency.name_en if locale == "en" else agency.name)
        if agency
        else None,
        triage=found.triage,
        duplicates=duplicates_out(found.duplicates, found.categories, locale),
        classifier_version=found.classification.version if found.classification else None,
    )
