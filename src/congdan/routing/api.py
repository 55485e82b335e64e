"""Routing over HTTP: suggestions while typing, the rules table, the model. (A report's duplicate
candidates are asked of the report: congdan.reports.api.)"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from congdan.authz import policy
from congdan.deps import ContextDep, LocaleDep, PrincipalDep, SessionDep, SettingsDep
from congdan.kit.errors import NotFound
from congdan.kit.i18n import _
from congdan.kit.problems import problems
from congdan.models import RoutingRule
from congdan.routing import present, repository, rules, service, suggestions
from congdan.routing.schemas import (
    ClassifierOut,
    RuleIn,
    RuleOut,
    RulePatch,
    SuggestIn,
    SuggestOut,
)

router = APIRouter(prefix="/api/v1", tags=["routing"])


@router.post(
    "/reports/suggest",
    response_model=SuggestOut,
    summary="Gợi ý lĩnh vực, nơi nhận và phản ánh trùng khi đang gõ / Suggest while typing",
    responses=problems(),
)
async def suggest(data: SuggestIn, session: SessionDep, ctx: ContextDep, locale: LocaleDep) -> SuggestOut:
    point = data.point()
    found = await suggestions.suggest(
        session,
        index=ctx.areas,
        classifier=ctx.classifier,
        settings=ctx.settings,
        description=data.description,
        lat=point[0] if point else None,
        lon=point[1] if point else None,
        address=data.address,
    )
    out = await present.suggestion_out(session, found, locale)
    return out


def _rule_out(rule: RoutingRule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        category=rule.category_code,
        area=rule.area_code,
        area_type=rule.area_type,
        agency=rule.agency_code,
        to_unit_committee=rule.to_unit_committee,
        priority=rule.priority,
        is_active=rule.is_active,
        note=rule.note,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


@router.get(
    "/routing/rules",
    response_model=list[RuleOut],
    summary="Quy tắc định tuyến / Routing rules",
    responses=problems(401, 403),
)
async def list_rules(
    session: SessionDep,
    principal: PrincipalDep,
    category: Annotated[str | None, Query(max_length=64)] = None,
) -> list[RuleOut]:
    return [_rule_out(r) for r in await rules.list_rules(session, principal, category)]


@router.post(
    "/routing/rules",
    status_code=201,
    response_model=RuleOut,
    summary="Thêm quy tắc định tuyến (quản trị) / Add a routing rule (admin)",
    responses=problems(401, 403),
)
async def create_rule(data: RuleIn, session: SessionDep, principal: PrincipalDep) -> RuleOut:
    rule = await rules.create_rule(session, principal, data)
    out = _rule_out(rule)
    return out


@router.patch(
    "/routing/rules/{rule_id}",
    response_model=RuleOut,
    summary="Sửa quy tắc định tuyến (quản trị) / Edit a routing rule (admin)",
    responses=problems(401, 403, 404),
)
async def update_rule(
    rule_id: uuid.UUID, data: RulePatch, session: SessionDep, principal: PrincipalDep
) -> RuleOut:
    rule = await rules.update_rule(session, principal, rule_id, data)
    out = _rule_out(rule)
    return out


@router.delete(
    "/routing/rules/{rule_id}",
    status_code=204,
    summary="Xóa quy tắc định tuyến (quản trị) / Delete a routing rule (admin)",
    responses=problems(401, 403, 404),
)
async def delete_rule(rule_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    await rules.delete_rule(session, principal, rule_id)
    return Response(status_code=204)


@router.get(
    "/routing/classifier",
    response_model=ClassifierOut,
    summary="Phiên bản bộ phân loại đang dùng / The classifier version in use",
    responses=problems(401, 403, 404),
)
async def classifier_info(
    session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> ClassifierOut:
    policy.require_staff(principal)
    model = await repository.active_model(session, with_blob=False)
    if model is None:
        raise NotFound(_("Chưa có bộ phân loại nào được huấn luyện."))
    return ClassifierOut(
        version=model.version,
        created_at=model.created_at,
        n_examples=model.n_examples,
        n_corrections=model.n_corrections,
        heldout_top1=model.heldout_top1,
        heldout_top3=model.heldout_top3,
        min_confidence=service.threshold_in_use(settings.routing_min_confidence, model.routing_threshold),
        min_similarity=model.min_similarity,
    )
