"""Routing rules, classifier model versions and the examples staff corrections add."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from congdan.db import Base, UTCDateTime, new_id, utcnow


class RoutingRule(Base):
    """(category, area or area type) → agency. The most urgent match wins: higher priority first,
    then the more specific rule. Empty category/area/area type match anything."""

    __tablename__ = "routing_rules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"), default=None, index=True)
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), default=None)
    area_type: Mapped[str | None] = mapped_column(String(16), default=None)
    # Either a fixed agency or "the People's Committee of the unit the report is in".
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), default=None)
    to_unit_committee: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClassifierModel(Base):
    """One trained version of the category classifier. Reports record the version that routed them.
    Routing uses the one active version, which an administrator chooses."""

    __tablename__ = "classifier_models"
    # At most one active version, held by the database: two administrators activating at once
    # cannot leave two.
    __table_args__ = (
        Index(
            "uq_classifier_models_active",
            "is_active",
            unique=True,
            postgresql_where=text("is_active"),
            sqlite_where=text("is_active"),
        ),
    )

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    n_examples: Mapped[int] = mapped_column(Integer)
    n_corrections: Mapped[int] = mapped_column(Integer)
    corpus_sha256: Mapped[str] = mapped_column(String(64))
    heldout_top1: Mapped[float] = mapped_column(Float)
    heldout_top3: Mapped[float] = mapped_column(Float)
    # A pickled scikit-learn pipeline. Only our own trainer writes it; the table is as trusted
    # as the rest of the database.
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    # Chosen from the held-out split when the version was trained (routing/evaluation.py): the
    # confidence under which a person decides, and the similarity to the nearest training example
    # under which text is unlike any category. Versions trained before have neither.
    routing_threshold: Mapped[float | None] = mapped_column(Float, default=None)
    min_similarity: Mapped[float | None] = mapped_column(Float, default=None)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ClassifierExample(Base):
    """A labelled text that staff produced by correcting a report's category."""

    __tablename__ = "classifier_examples"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    text: Mapped[str] = mapped_column(Text)
    report_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), default=None, unique=True
    )
    previous_code: Mapped[str | None] = mapped_column(String(64), default=None)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
