"""Workbench rows as API answers. Presenters only read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.areas.repository import UnitName
from congdan.kit.i18n import translate
from congdan.models import Agency, Area, Category, RejectionReason, ReplyTemplate, Report
from congdan.reports import repository as reports_repo
from congdan.reports.states import Status, label
from congdan.shared.schemas import AreaRef, CodeName
from congdan.workbench.schemas import (
    BoardRow,
    CategoryGuessOut,
    PersonRef,
    PlaceFeature,
    PlacePoint,
    PlaceProperties,
    QueueCounts,
    QueueItem,
    QueueMap,
    QueuePage,
    ReasonOut,
    TemplateOut,
    TriageItem,
)
from congdan.workbench.service import Places, Queue, TriageEntry

EXCERPT = 280


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _category(c: Category | None, locale: str) -> CodeName | None:
    return CodeName(code=c.code, name=c.name_en if locale == "en" else c.name_vi) if c else None


def _agency(a: Agency | None, locale: str) -> CodeName | None:
    return CodeName(code=a.code, name=a.name_en if locale == "en" else a.name) if a else None


@dataclass(frozen=True)
class Known:
    """Categories, areas and agencies the caller has loaded already (the queue page, for its filter
    form), by code: the rows' names are looked up only for codes missing here."""

    categories: Mapping[str, Category] = field(default_factory=dict)
    areas: Mapping[str, Area | UnitName] = field(default_factory=dict)
    agencies: Mapping[str, Agency] = field(default_factory=dict)

    @classmethod
    def of(
        cls, categories: Iterable[Category], areas: Iterable[Area | UnitName], agencies: Iterable[Agency]
    ) -> Known:
        return cls({c.code: c for c in categories}, {a.code: a for a in areas}, {a.code: a for a in agencies})


async def queue_page(
    session: AsyncSession, queue: Queue, locale: str, next_cursor: str | None, known: Known | None = None
) -> QueuePage:
    rows = queue.items
    known = known or Known()
    found = await reports_repo.names_for(
        session,
        categories={r.category_code for r in rows if r.category_code} - known.categories.keys(),
        areas={r.area_code for r in rows if r.area_code} - known.areas.keys(),
        agencies={r.agency_code for r in rows if r.agency_code} - known.agencies.keys(),
    )
    cats = {**known.categories, **found[0]}
    areas = {**known.areas, **found[1]}
    agencies = {**known.agencies, **found[2]}
    items = []
    for r in rows:
        area = areas.get(r.area_code or "")
        person = queue.assignees.get(r.assignee_id) if r.assignee_id else None
        items.append(
            QueueItem(
                id=r.id,
                tracking_code=r.tracking_code,
                kind=r.kind,
                status=Status(r.status),
                category=_category(cats.get(r.category_code or ""), locale),
                area=AreaRef(code=area.code, name=area.name, approximate=r.area_approximate)
                if area
                else None,
                agency=_agency(agencies.get(r.agency_code or ""), locale),
                assignee=PersonRef(id=person.id, name=person.display_name) if person else None,
                description=_excerpt(r.description),
                due_at=r.due_at,
                overdue=r.due_at is not None and r.due_at < queue.now,
                reopened=r.reopened_at is not None,
                created_at=r.created_at,
            )
        )
    c = queue.counts
    counts = QueueCounts(
        total=c.total, by_status=c.by_status, overdue=c.overdue, due_soon=c.due_soon, reopened=c.reopened
    )
    return QueuePage(items=items, next_cursor=next_cursor, counts=counts)


async def queue_map(session: AsyncSession, places: Places, locale: str) -> QueueMap:
    rows = places.items
    cats, _a, _g = await reports_repo.names_for(
        session, categories={r.category_code for r in rows if r.category_code}, areas=set(), agencies=set()
    )
    features = []
    for r in rows:
        if r.lat is None or r.lon is None:
            continue
        category = _category(cats.get(r.category_code or ""), locale)
        features.append(
            PlaceFeature(
                geometry=PlacePoint(coordinates=(r.lon, r.lat)),
                properties=PlaceProperties(
                    id=r.id,
                    code=r.tracking_code,
                    status=Status(r.status),
                    status_label=translate(label(r.status), locale),
                    category=category.name if category else None,
                    due_at=r.due_at,
                    overdue=r.due_at is not None and r.due_at < places.now,
                    url=f"/staff/reports/{r.id}",
                ),
            )
        )
    return QueueMap(features=features, truncated=places.truncated)


async def triage_items(
    session: AsyncSession, entries: Sequence[TriageEntry], locale: str
) -> list[TriageItem]:
    reports: list[Report] = [e.report for e in entries]
    guessed = {g.code for e in entries for g in e.guesses}
    cats, areas, agencies = await reports_repo.names_for(
        session,
        categories={r.category_code for r in reports if r.category_code} | guessed,
        areas={code for e in entries if e.area for code in (e.area.area_code, e.area.runner_up) if code},
        agencies={r.agency_code for r in reports if r.agency_code},
    )
    out = []
    for e in entries:
        r = e.report
        area = areas.get(e.area.area_code) if e.area else None
        runner_up = areas.get(e.area.runner_up or "") if e.area else None
        out.append(
            TriageItem(
                id=r.id,
                tracking_code=r.tracking_code,
                status=Status(r.status),
                description=_excerpt(r.description),
                category=_category(cats.get(r.category_code or ""), locale),
                agency=_agency(agencies.get(r.agency_code or ""), locale),
                guesses=[
                    CategoryGuessOut(
                        code=g.code,
                        name=cat.name_en if locale == "en" else cat.name_vi,
                        confidence=g.confidence,
                    )
                    for g in e.guesses
                    if (cat := cats.get(g.code)) is not None
                ],
                area=AreaRef(code=area.code, name=area.name, approximate=e.area.approximate)
                if area and e.area
                else None,
                area_runner_up=CodeName(code=runner_up.code, name=runner_up.name) if runner_up else None,
                due_at=r.due_at,
                created_at=r.created_at,
            )
        )
    return out


async def board_rows(session: AsyncSession, rows: list[tuple[str, int, int]], locale: str) -> list[BoardRow]:
    _c, _a, agencies = await reports_repo.names_for(
        session, categories=set(), areas=set(), agencies={code for code, _o, _d in rows}
    )
    return [
        BoardRow(agency=named, overdue=overdue, due_today=due_today)
        for code, overdue, due_today in rows
        if (named := _agency(agencies.get(code), locale)) is not None
    ]


def template_out(t: ReplyTemplate) -> TemplateOut:
    return TemplateOut(
        id=t.id,
        agency=t.agency_code,
        category=t.category_code,
        title=t.title,
        body=t.body,
        is_active=t.is_active,
        updated_at=t.updated_at,
    )


def reason_out(r: RejectionReason, locale: str) -> ReasonOut:
    return ReasonOut(
        code=r.code,
        text=r.text_en if locale == "en" else r.text_vi,
        text_vi=r.text_vi,
        text_en=r.text_en,
        sort_order=r.sort_order,
        is_active=r.is_active,
    )
