"""Unit boundaries uploaded by an administrator from the units page: the same import as
`congdan areas import`, refused whole when the file is not a FeatureCollection with at least one
usable polygon, and recorded in the audit log."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.areas.service import ImportResult, import_boundaries
from congdan.audit import service as audit
from congdan.authz.policy import Principal, require_admin
from congdan.kit.errors import ValidationFailed
from congdan.kit.i18n import _

BOUNDARIES_IMPORTED = "areas.boundaries_imported"


async def import_file(
    session: AsyncSession, actor: Principal, raw: bytes, code_property: str
) -> ImportResult:
    require_admin(actor)
    code_property = code_property.strip()
    if not code_property:
        raise ValidationFailed(_("Cần tên thuộc tính chứa mã đơn vị."), field="code_property")
    try:
        geojson = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed(_("Tệp không phải GeoJSON (JSON UTF-8)."), field="file") from exc
    if not isinstance(geojson, dict):
        raise ValidationFailed(_("Tệp phải là một GeoJSON FeatureCollection."), field="file")
    try:
        result = await import_boundaries(session, geojson, code_property)
    except ValueError as exc:
        raise ValidationFailed(_("Tệp phải là một GeoJSON FeatureCollection."), field="file") from exc
    if not result.updated and not result.unknown_codes:
        # Nothing usable: most likely the wrong property name; no unit is touched.
        raise ValidationFailed(
            _("Không có vùng (Polygon, MultiPolygon) nào có thuộc tính %(property)s trong tệp."),
            field="file",
            property=code_property,
        )
    await audit.record(
        session,
        actor,
        BOUNDARIES_IMPORTED,
        subject_type="areas",
        details={
            "code_property": code_property,
            "updated": result.updated,
            "unknown_codes": result.unknown_codes,
            "skipped": result.skipped,
        },
    )
    return result
