"""`areas`: the boundaries of administrative units."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from congdan.cli.common import DataDir, in_transaction, settings_for

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

areas_app = typer.Typer(help="Đơn vị hành chính / administrative units", no_args_is_help=True)


@areas_app.command("import")
def areas_import(
    file: Annotated[Path, typer.Argument(help="Tệp GeoJSON (FeatureCollection) / GeoJSON file", exists=True)],
    code_property: Annotated[
        str,
        typer.Option("--code-property", help="Thuộc tính chứa mã đơn vị / property holding the unit code"),
    ],
    data_dir: DataDir = None,
) -> None:
    """Nạp ranh giới đơn vị hành chính / import unit boundaries; routing uses them from then on."""
    import json

    from congdan.areas.service import import_boundaries

    try:
        geojson = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        typer.echo(f"Lỗi / error: không đọc được GeoJSON / cannot read GeoJSON: {exc}", err=True)
        raise typer.Exit(1) from exc

    async def work(session: AsyncSession) -> tuple[list[str], list[str], int]:
        result = await import_boundaries(session, geojson, code_property)
        return result.updated, result.unknown_codes, result.skipped

    updated, unknown, skipped = in_transaction(settings_for(data_dir), work, failures=(ValueError,))
    typer.echo(f"Đã nạp ranh giới cho {len(updated)} đơn vị / boundaries imported for {len(updated)} units")
    if unknown:
        typer.echo(f"Mã không có trong danh mục / unknown codes: {', '.join(unknown)}", err=True)
    if skipped:
        typer.echo(f"Bỏ qua {skipped} đối tượng không hợp lệ / skipped {skipped} invalid features", err=True)
