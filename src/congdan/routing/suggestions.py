"""What the city would do with a report as the resident types it: the category guesses, the
unit and agency, whether a person will decide and why, reports nearby that may be the same
problem, and a second problem the message names."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.areas.service import AreaIndex
from congdan.authz.policy import PUBLIC
from congdan.categories import repository as categories_repo
from congdan.config import Settings
from congdan.kit.errors import ValidationFailed
from congdan.models import Category
from congdan.routing import duplicates
from congdan.routing.also import Also, second_problem
from congdan.routing.classifier import Classifier
from congdan.routing.duplicates import Candidate
from congdan.routing.service import (
    LOW_CONFIDENCE,
    NO_AGENCY,
    UNLIKE_ANY,
    Classification,
    Decision,
    classify,
    decide,
    where,
)


@dataclass(frozen=True)
class Suggestion:
    classification: Classification | None
    categories: dict[str, Category]
    decision: Decision
    triage: bool
    duplicates: list[Candidate]
    triage_reason: str | None = None
    also: Also | None = None  # a second problem the message names, to offer as a report of its own


def _judge_typing(classifier: Classifier | None, text: str) -> tuple[Classification | None, Also | None]:
    """The classifier's whole work for one suggestion: run in a thread, off the event loop."""
    classification = classify(classifier, text)
    if (
        classifier is None
        or classification is None
        or classification.unlike_any
        or classification.top is None
    ):
        return classification, None
    main = classification.top.code
    return classification, second_problem(classifier, text, main, min_similarity=classifier.min_similarity)


async def suggest(
    session: AsyncSession,
    *,
    index: AreaIndex,
    classifier: Classifier | None,
    settings: Settings,
    description: str | None,
    lat: float | None,
    lon: float | None,
    address: str | None = None,
) -> Suggestion:
    place = where(index, lat=lat, lon=lon, address=address, description=description, needed=False)
    if place.error is not None:
        raise ValidationFailed(errors=[place.error])
    # A few milliseconds of CPU for a long message: in a worker thread, so that the other requests
    # this process serves meanwhile are not held up.
    classification, also = await asyncio.to_thread(_judge_typing, classifier, description or "")
    ranked_codes = [r.code for r in classification.ranked] if classification else []
    categories = {c.code: c for c in await categories_repo.categories(session) if c.is_active}
    configured = settings.routing_min_confidence
    reason = classification.triage_reason(configured) if classification else LOW_CONFIDENCE
    # Text unlike any category is not put in the nearest one.
    top = categories.get(ranked_codes[0]) if ranked_codes and reason != UNLIKE_ANY else None
    area = place.located
    decision = await decide(session, index, category=top, area=area)
    confident = reason is None
    found: list[Candidate] = []
    if lat is not None and lon is not None and area is not None:
        found = await duplicates.candidates(
            session,
            category_code=top.code if top and confident else None,
            radius_m=top.duplicate_radius_m if top and confident else None,
            lat=lat,
            lon=lon,
            text=description,
            window_days=settings.duplicate_window_days,
            principal=PUBLIC,  # the form shows them to whoever is typing
        )
    return Suggestion(
        classification=classification,
        categories=categories,
        decision=decision,
        triage=decision.agency_code is None or not confident,
        duplicates=found,
        triage_reason=reason if reason is not None else (None if decision.agency_code else NO_AGENCY),
        also=also if also is not None and also.code in categories else None,
    )
