"""The classifier's versions for administrators: the list, two versions measured side by side on
the held-out set, choosing the active version (the one routing uses; servers switch to it within
a few seconds), and training a new version as a job for a worker. Activations and trainings are
in the audit log."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.audit import service as audit
from congdan.authz.policy import MACHINE, Principal, require_admin
from congdan.kit.errors import NotFound
from congdan.kit.i18n import _
from congdan.models import ClassifierModel, OutboxMessage
from congdan.outbox import service as outbox
from congdan.routing import repository
from congdan.routing.classifier import Classifier, Evaluation, evaluate, heldout_corpus
from congdan.routing.service import Trained

TRAINED = "classifier.trained"
ACTIVATED = "classifier.activated"
TRAINING_QUEUED = "classifier.training_queued"
# The job: train a new version and store it (routing/tasks.py).
TRAIN_REQUESTED = "classifier.train_requested"
# Every training job is about the one classifier: its rows form one stream, in order.
JOB_AGGREGATE = ("classifier", "training")


async def list_versions(session: AsyncSession, actor: Principal) -> Sequence[ClassifierModel]:
    require_admin(actor)
    return await repository.model_versions(session)


async def _model(session: AsyncSession, version: int) -> ClassifierModel:
    model = await repository.get_model(session, version)
    if model is None:
        raise NotFound(_("Không có phiên bản %(version)s của bộ phân loại."), version=version)
    return model


# ---- comparing two versions ------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    model: ClassifierModel
    evaluation: Evaluation


@dataclass(frozen=True)
class Comparison:
    first: Side
    second: Side
    # (category code, top-1 of the first, top-1 of the second), for every category of the set.
    per_category: list[tuple[str, float | None, float | None]]


async def compare(session: AsyncSession, actor: Principal, first: int, second: int) -> Comparison:
    """Both versions measured now on the held-out set the repository holds today, which may
    differ from the one each was measured on when it was trained."""
    require_admin(actor)
    heldout = heldout_corpus()
    sides = []
    for version in (first, second):
        model = await _model(session, version)
        classifier = await asyncio.to_thread(Classifier.loads, model.blob, model.version)
        sides.append(Side(model, await asyncio.to_thread(evaluate, classifier, heldout)))
    a, b = sides
    codes = sorted(set(a.evaluation.per_category) | set(b.evaluation.per_category))
    rows = [(c, a.evaluation.per_category.get(c), b.evaluation.per_category.get(c)) for c in codes]
    return Comparison(a, b, rows)


# ---- the active version ----------------------------------------------------------------------


async def activate(session: AsyncSession, actor: Principal, version: int) -> bool:
    """Routing uses `version` from now on; False when it already did (nothing recorded)."""
    require_admin(actor)
    await repository.lock_versions(session)
    await _model(session, version)
    previous = await repository.active_version(session)
    if previous == version:
        return False
    await repository.set_active(session, version)
    await audit.record(
        session,
        actor,
        ACTIVATED,
        subject_type="classifier",
        subject_id=str(version),
        details={"previous": previous},
    )
    return True


# ---- training as a job -----------------------------------------------------------------------


@dataclass(frozen=True)
class Training:
    """The state of the newest training job: queued, running, finished (with the version it
    stored) or failed (the worker gave up)."""

    state: str
    queued_at: datetime
    version: int | None = None
    error: str | None = None


STATES = {"pending": "queued", "processing": "running", "done": "finished", "dead": "failed"}


def _training(message: OutboxMessage) -> Training:
    version = message.payload.get("version")
    return Training(
        state=STATES.get(message.status, message.status),
        queued_at=message.created_at,
        version=version if isinstance(version, int) else None,
        error=message.last_error if message.status == "dead" else None,
    )


async def training(session: AsyncSession, actor: Principal) -> Training | None:
    require_admin(actor)
    message = await outbox.latest(session, TRAIN_REQUESTED, JOB_AGGREGATE[1])
    return _training(message) if message is not None else None


async def queue_training(session: AsyncSession, actor: Principal) -> tuple[Training, bool]:
    """A training job for a worker, unless one is already queued or running: (its state, whether
    this call queued it)."""
    require_admin(actor)
    await repository.lock_versions(session)
    waiting = await outbox.latest(session, TRAIN_REQUESTED, JOB_AGGREGATE[1])
    if waiting is not None and waiting.status in ("pending", "processing"):
        return _training(waiting), False
    message = outbox.emit(
        session,
        TRAIN_REQUESTED,
        aggregate_type=JOB_AGGREGATE[0],
        aggregate_id=JOB_AGGREGATE[1],
        payload={"requested_by": str(actor.account_id) if actor.account_id else None},
    )
    await session.flush()
    await audit.record(session, actor, TRAINING_QUEUED, subject_type="classifier", subject_id=str(message.id))
    return _training(message), True


async def record_trained(session: AsyncSession, message: OutboxMessage, trained: Trained) -> None:
    """What a finished job leaves: the version in its row (the page reads it there) and an audit
    row naming who asked for it."""
    model = trained.model
    message.payload = {**message.payload, "version": model.version}
    requested_by = message.payload.get("requested_by")
    await audit.record(
        session,
        MACHINE,
        TRAINED,
        subject_type="classifier",
        subject_id=str(model.version),
        details={
            "examples": model.n_examples,
            "corrections": model.n_corrections,
            "top1": model.heldout_top1,
            "top3": model.heldout_top3,
            "active": model.is_active,
            "requested_by": str(uuid.UUID(str(requested_by))) if requested_by else None,
        },
    )
