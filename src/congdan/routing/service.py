"""What it is, where it is, who must act: the decisions made at submission.

- What: the classifier ranks the categories; below the confidence threshold, or for text unlike
  anything it was taught ("none of these"), a human decides. Both limits are chosen for each
  version from the held-out split when it is trained (routing/evaluation.py).
- Where: the unit from the point (polygon when imported, else the nearest centre, approximate),
  or from the address parsed offline.
- Who: the routing rules table, (category, area or area type) → agency or "the unit's People's
  Committee". No rule, or a rule that cannot be applied, means the coordinators' triage queue
  rather than a guess. Administrators edit that table through `rules`.

Routing never reads reports: submission and corrections (in reports) ask it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.agencies import repository as agencies_repo
from congdan.areas import addresses
from congdan.areas.service import AreaIndex, Located
from congdan.authz.policy import Principal
from congdan.categories import repository as categories_repo
from congdan.categories.data import OTHER
from congdan.config import Settings
from congdan.db import hold, utcnow
from congdan.kit.errors import FieldError
from congdan.kit.i18n import _
from congdan.models import Category, ClassifierExample, ClassifierModel, Report, RoutingRule
from congdan.routing import duplicates, repository
from congdan.routing.classifier import (
    Classifier,
    Evaluation,
    Example,
    Ranked,
    corpus_digest,
    evaluate,
    heldout_corpus,
    train,
    training_corpus,
)
from congdan.routing.duplicates import Candidate
from congdan.routing.evaluation import unlike_any


@dataclass(frozen=True)
class Decision:
    area: Located | None
    agency_code: str | None
    rule_id: uuid.UUID | None = None


# Why a person must decide what a report is about.
LOW_CONFIDENCE = "low_confidence"
UNLIKE_ANY = "unlike_any"  # "none of these": the text is unlike every category's examples
NO_AGENCY = "no_agency"  # no routing rule gives an agency for this category and place
# The threshold of a version trained before each version chose its own, when none is configured.
FALLBACK_THRESHOLD = 0.5


def threshold_in_use(configured: float | None, chosen: float | None) -> float:
    """A configured threshold overrides the one chosen for the version; a version with none, from
    before versions chose theirs, routes at the fallback."""
    if configured is not None:
        return configured
    return chosen if chosen is not None else FALLBACK_THRESHOLD


@dataclass(frozen=True)
class Classification:
    """The category the machine would pick, with how sure it is and how close the text comes to
    anything it was taught; and the limits chosen for the version that judged it."""

    ranked: list[Ranked]
    version: int
    similarity: float | None = None
    threshold: float | None = None
    min_similarity: float | None = None

    @property
    def top(self) -> Ranked | None:
        return self.ranked[0] if self.ranked else None

    @property
    def unlike_any(self) -> bool:
        return unlike_any(self.similarity, self.min_similarity)

    def threshold_for(self, configured: float | None) -> float:
        return threshold_in_use(configured, self.threshold)

    def triage_reason(self, configured: float | None) -> str | None:
        """Why a person must decide, or None when the top category may be routed."""
        if self.unlike_any:
            return UNLIKE_ANY
        if self.top is None or self.top.confidence < self.threshold_for(configured):
            return LOW_CONFIDENCE
        return None


def classify(classifier: Classifier | None, text: str, limit: int = 5) -> Classification | None:
    if classifier is None or not text.strip():
        return None
    judged = classifier.judge(text, limit)
    return Classification(
        judged.ranked,
        classifier.version,
        judged.similarity,
        classifier.threshold,
        classifier.min_similarity,
    )


# ---- where -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    located: Located | None = None
    error: FieldError | None = None


def where(
    index: AreaIndex,
    *,
    lat: float | None,
    lon: float | None,
    address: str | None,
    description: str | None,
    needed: bool,
) -> Where:
    """The unit from the point, else from the address, else from a unit the description names.
    A point or an address outside the city is refused rather than routed to a city-wide agency."""
    if lat is not None and lon is not None:
        located = index.locate(lat, lon)
        if located is None:
            return Where(error=FieldError("location", _("Vị trí nằm ngoài địa bàn Thành phố Hồ Chí Minh.")))
        return Where(located)
    if address:
        place = addresses.place_of(index, address)
        if place.outside:
            return Where(error=FieldError("address", _("Địa chỉ nằm ngoài địa bàn Thành phố Hồ Chí Minh.")))
        return Where(place.located)
    named = addresses.named_in(index, description) if description else None
    if named is None and needed:
        return Where(error=FieldError("location", _("Phản ánh cần vị trí trên bản đồ hoặc địa chỉ.")))
    return Where(named)


# ---- who ---------------------------------------------------------------------------------------


def _specificity(rule: RoutingRule) -> int:
    return (4 if rule.area_code else 0) + (2 if rule.area_type else 0) + (1 if rule.category_code else 0)


def order_rules(rules: list[RoutingRule]) -> list[RoutingRule]:
    """Higher priority first; among equals the more specific rule; then the older one."""
    return sorted(rules, key=lambda r: (-r.priority, -_specificity(r), r.created_at))


async def decide(
    session: AsyncSession, index: AreaIndex, *, category: Category | None, area: Located | None
) -> Decision:
    if category is None or category.code == OTHER:
        # "Other" is what fits no category: even a rule for any category must not claim it.
        return Decision(area, None)
    area_code = area.area_code if area else None
    area_type = index.unit_type(area_code) if area_code else None
    rules = order_rules(list(await repository.matching_rules(session, category.code, area_code, area_type)))
    for rule in rules:
        if rule.to_unit_committee:
            if area_code is None:
                continue  # a ward-level rule needs to know the ward; a later rule may not
            committee = await agencies_repo.committee_for_area(session, area_code)
            if committee is not None and committee.is_active:
                hold(session, committee)  # named in the answer about the report
                return Decision(area, committee.code, rule.id)
            continue
        if rule.agency_code:
            agency = await agencies_repo.get_agency(session, rule.agency_code)
            if agency is not None and agency.is_active:
                hold(session, agency)
                return Decision(area, agency.code, rule.id)
    return Decision(area, None)


# ---- the classifier's versions --------------------------------------------------------------


@dataclass(frozen=True)
class Trained:
    model: ClassifierModel
    evaluation: Evaluation


@dataclass(frozen=True)
class Fitted:
    examples: list[Example]
    n_corrections: int
    classifier: Classifier
    evaluation: Evaluation


async def training_examples(session: AsyncSession) -> tuple[list[Example], int]:
    """The corpus in the repository plus every staff correction so far, and how many of those."""
    corrected = [Example(c.category_code, c.text) for c in await repository.corrections(session)]
    return training_corpus() + corrected, len(corrected)


def fit(examples: list[Example], n_corrections: int) -> Fitted:
    """The slow part (seconds of CPU), needing no database."""
    classifier = train(examples)
    return Fitted(examples, n_corrections, classifier, evaluate(classifier, heldout_corpus()))


async def store(session: AsyncSession, fitted: Fitted) -> Trained:
    """The next version number, with the threshold and cut-off chosen for it on the held-out
    split. It becomes the active one only when none is: an administrator chooses when routing
    switches to a new version."""
    version = (await repository.latest_version(session) or 0) + 1
    choice = fitted.evaluation.choice()
    model = ClassifierModel(
        version=version,
        created_at=utcnow(),
        n_examples=len(fitted.examples),
        n_corrections=fitted.n_corrections,
        corpus_sha256=corpus_digest(fitted.examples),
        heldout_top1=fitted.evaluation.top1,
        heldout_top3=fitted.evaluation.top3,
        blob=fitted.classifier.dumps(),
        routing_threshold=choice.threshold if choice else None,
        min_similarity=choice.min_similarity if choice else None,
        is_active=await repository.active_version(session) is None,
    )
    session.add(model)
    await session.flush()
    return Trained(model, fitted.evaluation)


async def train_and_store(session: AsyncSession) -> Trained:
    examples, n_corrections = await training_examples(session)
    fitted = await asyncio.to_thread(fit, examples, n_corrections)
    return await store(session, fitted)


async def learn_from_correction(
    session: AsyncSession, report: Report, *, previous: str | None, by: uuid.UUID | None
) -> None:
    """A report staff put in another category is a labelled example for the next training run."""
    assert report.category_code is not None
    example = await repository.correction_for(session, report.id)
    if example is None:
        session.add(
            ClassifierExample(
                category_code=report.category_code,
                text=report.description,
                report_id=report.id,
                previous_code=previous,
                created_by_id=by,
            )
        )
    else:  # corrected twice: the latest word is the label
        example.category_code = report.category_code
        example.created_by_id = by


async def ensure_model(session: AsyncSession) -> int | None:
    """Trains the first version when there is none; returns the version trained, if any."""
    if await repository.latest_version(session) is not None:
        return None
    return (await train_and_store(session)).model.version


ACTIVE_CHECK_SECONDS = 5.0


class ClassifierHolder:
    """The active version, loaded once by this process. Which version is active is asked again
    every few seconds (one small read), so that an activation made by any process reaches every
    server soon; the megabytes of the model are read only when it has changed."""

    def __init__(self, ttl_seconds: float = ACTIVE_CHECK_SECONDS) -> None:
        self.current: Classifier | None = None
        self._ttl = ttl_seconds
        self._checked_at = float("-inf")

    def due(self) -> bool:
        return self.current is None or time.monotonic() - self._checked_at > self._ttl

    async def refresh(self, session: AsyncSession) -> Classifier | None:
        active = await repository.active_version(session)
        if active is None:
            self.current = None
        elif self.current is None or self.current.version != active:
            model = await repository.get_model(session, active)
            if model is not None:
                self.current = await asyncio.to_thread(
                    partial(
                        Classifier.loads,
                        threshold=model.routing_threshold,
                        min_similarity=model.min_similarity,
                    ),
                    model.blob,
                    model.version,
                )
        self._checked_at = time.monotonic()
        return self.current


async def duplicates_of(
    session: AsyncSession, principal: Principal, report: Report, settings: Settings
) -> list[Candidate]:
    """Candidates for staff looking at one report: the private ones among them only if this
    member of staff may see them (an agency its own, coordinators all)."""
    if report.lat is None or report.lon is None:
        return []
    category = await categories_repo.category(session, report.category_code) if report.category_code else None
    return await duplicates.candidates(
        session,
        category_code=report.category_code,
        radius_m=category.duplicate_radius_m if category else None,
        lat=report.lat,
        lon=report.lon,
        text=report.description,
        window_days=settings.duplicate_window_days,
        exclude=report.id,
        principal=principal,
        limit=10,
    )
