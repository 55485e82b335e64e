"""The Grafana dashboard under deploy/ asks only for series that /metrics exports, grouped only by
labels those series carry (or that Prometheus adds when it scrapes: job, instance), so that no
panel stays empty because a metric was renamed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from congdan.outbox.relay import Relay
from tests.conftest import submit

DASHBOARD = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "congdan.json"
SCRAPE_LABELS = {"job", "instance"}
_NAME = re.compile(r"\bcongdan_[a-z_]+")
_GROUPED = re.compile(r"\bby\s*\(([^)]*)\)")
_MATCHED = re.compile(r"\{([^}]*)\}")
_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def _expressions(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [e for k, v in node.items() for e in ([v] if k == "expr" else _expressions(v))]
    if isinstance(node, list):
        return [e for v in node for e in _expressions(v)]
    return []


def _family(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def test_the_dashboard_has_panels_with_queries() -> None:
    expressions = _expressions(json.loads(DASHBOARD.read_text(encoding="utf-8")))
    assert len(expressions) >= 10
    assert all(_NAME.search(e) for e in expressions), expressions


async def test_every_series_the_dashboard_asks_for_is_exported(
    client: httpx.AsyncClient, relay: Relay
) -> None:
    labels: dict[str, set[str]] = {}

    async def scrape() -> None:
        r = await client.get("/metrics")
        assert r.status_code == 200, r.text
        for family in text_string_to_metric_families(r.text):
            found = labels.setdefault(_family(family.name), set())
            for sample in family.samples:
                found |= set(sample.labels) - {"le"}

    await submit(client)
    await scrape()  # with the submission's outbox rows due
    await relay.drain()
    await scrape()  # with them handled and delivered
    # a labelled counter no process has counted yet still declares its labels
    from congdan.kit import metrics

    for instrument in vars(metrics).values():
        names = getattr(instrument, "_labelnames", None)
        if names is not None and hasattr(instrument, "_name"):
            labels.setdefault(_family(instrument._name), set()).update(names)

    for expression in _expressions(json.loads(DASHBOARD.read_text(encoding="utf-8"))):
        asked = {_family(n) for n in _NAME.findall(expression)}
        missing = asked - set(labels)
        assert not missing, f"{expression}: {sorted(missing)} not exported"
        grouped = {g.strip() for group in _GROUPED.findall(expression) for g in group.split(",") if g.strip()}
        matched = {
            m.split("=")[0].strip().rstrip("!~")
            for group in _MATCHED.findall(expression)
            for m in group.split(",")
            if m.strip()
        }
        carried = set().union(*(labels[n] for n in asked)) | SCRAPE_LABELS | {"le"}
        assert grouped | matched <= carried, (
            f"{expression}: {sorted((grouped | matched) - carried)} not carried"
        )
