"""`classifier`: training and measuring the category classifier."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from congdan.cli.common import DataDir, fail, in_transaction, settings_for

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from congdan.routing.classifier import Classifier

classifier_app = typer.Typer(help="Bộ phân loại lĩnh vực / category classifier", no_args_is_help=True)


@classifier_app.command("train")
def classifier_train(data_dir: DataDir = None) -> None:
    """Huấn luyện phiên bản mới từ kho mẫu và các chỉnh sửa của cán bộ / train a new version from the
    corpus plus staff corrections; routing switches to it when an administrator activates it (or
    at once when no version is active)."""
    from congdan.routing.service import train_and_store

    async def work(session: AsyncSession) -> tuple[int, int, int, float, float]:
        trained = await train_and_store(session)
        m = trained.model
        return m.version, m.n_examples, m.n_corrections, m.heldout_top1, m.heldout_top3

    # The CLI reports any failure in a line, it does not dump a traceback.
    version, n, corrections, top1, top3 = in_transaction(settings_for(data_dir), work, failures=(Exception,))
    typer.echo(
        f"Phiên bản / version {version}: {n} mẫu / examples ({corrections} chỉnh sửa / corrections); "
        f"tập kiểm tra / held-out top-1 {top1:.1%}, top-3 {top3:.1%}"
    )


@classifier_app.command("evaluate")
def classifier_evaluate(
    file: Annotated[
        Path, typer.Argument(help="Tệp TSV có dòng tiêu đề 'category<TAB>text' / TSV file", exists=True)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON / print JSON")] = False,
    data_dir: DataDir = None,
) -> None:
    """Đo độ chính xác của phiên bản đang dùng trên một tệp / accuracy of the version in use on a file."""
    import json

    from congdan.routing.classifier import CorpusError, evaluate, read_tsv
    from congdan.routing.service import ClassifierHolder

    try:
        rows = read_tsv(file)
    except (OSError, UnicodeDecodeError, CorpusError) as exc:
        fail(exc)

    async def work(session: AsyncSession) -> Classifier | None:
        return await ClassifierHolder().refresh(session)

    classifier = in_transaction(settings_for(data_dir), work, failures=(Exception,))
    if classifier is None:
        fail(RuntimeError("chưa có bộ phân loại; chạy `congdan db upgrade` / no classifier yet"))
    result = evaluate(classifier, rows)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    typer.echo(f"Phiên bản / version: {classifier.version}")
    typer.echo(f"Số dòng / rows: {result.n}")
    typer.echo(f"Top-1: {result.top1:.1%}")
    typer.echo(f"Top-3: {result.top3:.1%}")
    typer.echo("Độ phủ theo lĩnh vực / per-category recall:")
    for code, recall in result.per_category.items():
        typer.echo(f"  {code:<26} {recall:.1%}")
    figures = result.as_dict()
    if figures["threshold"] is None:
        typer.echo("Không ngưỡng nào đạt mục tiêu / no threshold meets the goal")
    else:
        typer.echo(f"Ngưỡng chọn / chosen threshold: {figures['threshold']:.2f}")
        if figures["min_similarity"] is not None:
            typer.echo(
                "Ngưỡng 'không thuộc lĩnh vực nào' / 'none of these' cut-off: "
                f"{figures['min_similarity']:.3f}"
            )
        typer.echo(f"Tự chuyển / auto-routed: {figures['auto_routed']:.1%}")
        typer.echo(f"Chuyển sai / misrouted: {figures['misrouted']:.1%}")
        checked = figures["cross_checked"]
        if checked is not None:
            typer.echo(
                "Chọn trên một nửa, đo trên nửa kia / chosen on one half, measured on the other: "
                f"{checked['auto_routed']:.1%} tự chuyển / auto-routed, "
                f"{checked['misrouted']:.1%} chuyển sai / misrouted"
            )
        if figures["out_of_scope"]:
            typer.echo(
                "Ngoài phạm vi / out of scope: "
                f"{figures['out_of_scope_held']}/{figures['out_of_scope']} đến người xử lý / reach a person"
            )
        typer.echo("Theo cách viết / by style:  số dòng / n   top-1   tự chuyển / auto   sai / misrouted")
        for style, row in figures["per_style"].items():
            typer.echo(
                f"  {style:<24} {row['n']:>5}   {row['top1']:>6.1%}   "
                f"{row['auto_routed']:>6.1%}   {row['misrouted']:>6.1%}"
            )
    typer.echo(f"ECE: {figures['ece']:.4f}")
    typer.echo("Bảng tin cậy / reliability:")
    typer.echo("  khoảng / bin   số dòng / count   tin cậy / confidence   chính xác / accuracy")
    for row in figures["reliability"]:
        span = f"{row['low']:.1f}-{row['high']:.1f}"
        typer.echo(f"  {span:<14} {row['count']:>6}   {row['confidence']:>8.3f}   {row['accuracy']:>8.3f}")
