"""Routes the dashboard starts from: who is signed in, and what a job may choose from."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from automl.metrics import METRICS
from automl.service._auth import User
from automl.service._errors import ERRORS, reject_unknown_query
from automl.service._schemas import Choices, Me
from automl.strategies import strategy_names

router = APIRouter(prefix="/api", responses=ERRORS, dependencies=[Depends(reject_unknown_query)])


@router.get("/me", tags=["account"], summary="The signed-in user")
async def me(user: User) -> Me:
    return Me(name=user.name)


@router.get("/choices", tags=["jobs"], summary="Strategies and metrics a job may name")
async def choices(user: User) -> Choices:
    metrics = {name: sorted(t.value for t in metric.tasks) for name, metric in METRICS.items()}
    return Choices(strategies=list(strategy_names()), metrics=metrics)
