"""What a report operation needs besides the session, shared by every surface that changes reports."""

from __future__ import annotations

from dataclasses import dataclass

from congdan.areas.service import AreaIndex
from congdan.config import Settings
from congdan.integrations.storage import Storage
from congdan.routing.classifier import Classifier


@dataclass(frozen=True)
class Context:
    settings: Settings
    areas: AreaIndex
    storage: Storage
    classifier: Classifier | None = None
