"""The classifier's versions for administrators: the list, and training a new one from the page
as `congdan classifier train` does. The newest version is the one in use (servers switch to it
within a minute); each training is in the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from congdan.audit import service as audit
from congdan.authz.policy import Principal, require_admin
from congdan.models import ClassifierModel
from congdan.routing import repository
from congdan.routing.service import Trained, train_and_store

TRAINED = "classifier.trained"


async def list_versions(session: AsyncSession, actor: Principal) -> Sequence[ClassifierModel]:
    require_admin(actor)
    return await repository.model_versions(session)


async def train(session: AsyncSession, actor: Principal) -> Trained:
    require_admin(actor)
    trained = await train_and_store(session)
    model = trained.model
    await audit.record(
        session,
        actor,
        TRAINED,
        subject_type="classifier",
        subject_id=str(model.version),
        details={
            "examples": model.n_examples,
            "corrections": model.n_corrections,
            "top1": model.heldout_top1,
            "top3": model.heldout_top3,
        },
    )
    return trained
