"""Reference data (units, agencies, categories) and the demo data set."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies.service import seed_agencies
from congdan.areas.service import seed_areas
from congdan.catalogue.service import seed_procedures
from congdan.categories import repository as categories_repo
from congdan.categories.data import CATEGORIES
from congdan.config import Settings
from congdan.db import standalone_transaction
from congdan.models import Category
from congdan.routing import rules as routing_rules
from congdan.routing import service as routing


async def seed_categories(session: AsyncSession) -> list[Category]:
    have = await categories_repo.existing_category_codes(session)
    new = [
        Category(
            code=c.code,
            name_vi=c.name_vi,
            name_en=c.name_en,
            level=c.level,
            deadline_days=c.deadline_days,
            duplicate_radius_m=c.duplicate_radius_m,
            default_agency_code=c.default_agency,
            sort_order=index,
        )
        for index, c in enumerate(CATEGORIES)
        if c.code not in have
    ]
    session.add_all(new)
    await session.flush()
    return new


async def seed_reference_in(session: AsyncSession) -> dict[str, int]:
    areas = await seed_areas(session)
    agencies = await seed_agencies(session)
    categories = await seed_categories(session)
    rules = await routing_rules.seed_rules(session, categories)
    procedures = await seed_procedures(session)
    # The first classifier version is trained from the corpus shipped in the repository.
    trained = await routing.ensure_model(session)
    return {
        "areas": areas,
        "agencies": agencies,
        "categories": len(categories),
        "routing_rules": rules,
        "procedures": procedures,
        "classifier_versions": 1 if trained else 0,
    }


async def seed_reference(settings: Settings) -> dict[str, int]:
    async with standalone_transaction(settings) as session:
        return await seed_reference_in(session)


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    agency: str | None


async def is_demo_seeded(session: AsyncSession) -> bool:
    from congdan.accounts import repository as accounts_repo

    return await accounts_repo.by_email(session, "dieuphoi@demo.congdan.vn") is not None
