"""Routes under /api/jobs: submit, list, inspect, cancel, resume, download the model, delete."""

from __future__ import annotations

import contextlib
import shutil
from typing import Annotated, Literal

import optuna
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse

from automl.jobs import (
    Job,
    JobNotFound,
    JobSpec,
    JobStore,
    StudyRef,
    all_trials,
    find_study,
    overview,
    trial_detail,
    trial_order,
    trials_by_id,
    validate_spec,
    with_axis,
)
from automl.service._auth import Store, User
from automl.service._cache import JobRows, Memo, ResponseCache
from automl.service._errors import ERRORS, reject_unknown_query
from automl.service._schemas import (
    EventPublic,
    JobCreate,
    JobPage,
    JobPublic,
    JobState,
    Overview,
    TrialPage,
    TrialPublic,
    TrialState,
)
from automl.storage import rdb_storage

router = APIRouter(
    prefix="/api/jobs",
    tags=["jobs"],
    responses=ERRORS,
    dependencies=[Depends(reject_unknown_query)],
)
JobId = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
MAX_EVENTS = 500
OVERVIEW_INTERVAL = 5.0
"""A running job's overview (aggregates over all its trials) is rendered at most this often."""


@router.post("", status_code=201, summary="Submit a search job")
def submit_job(body: JobCreate, store: Store, user: User) -> JobPublic:
    dataset = store.get_dataset(body.dataset_id, user.id)
    spec = JobSpec.from_job(body.model_dump(exclude={"dataset_id"}))
    job = store.submit(user.id, dataset.id, validate_spec(spec, dataset.columns))
    return JobPublic.of(job)


@router.get("", summary="List your jobs, newest first")
def list_jobs(
    store: Store,
    user: User,
    state: JobState | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> JobPage:
    jobs, total = store.list_jobs(user.id, state, limit, offset)
    return JobPage(items=[JobPublic.of(j) for j in jobs], total=total, limit=limit, offset=offset)


# The routes a dashboard polls are async: a cached answer is served on the event loop, with no
# thread hand-off (the job row is one indexed read).


@router.get("/{job_id}", summary="A job's state and progress")
async def get_job(job_id: JobId, request: Request, store: Store, user: User) -> JobPublic:
    return JobPublic.of(_job(request, store, job_id, user.id))


@router.get("/{job_id}/trials", summary="A page of the job's trials", response_model=TrialPage)
async def list_trials(
    job_id: JobId,
    request: Request,
    store: Store,
    user: User,
    limit: Limit = 50,
    offset: Offset = 0,
    sort: Literal["number", "-number", "best", "worst"] = "number",
    state: TrialState | None = None,
) -> Response:
    job = _job(request, store, job_id, user.id)
    resource = ("trials", job.id, limit, offset, sort, state)
    orders: Memo = request.app.state.orders

    def render() -> bytes:
        study = _study(store, job)
        order: list[int] = (
            orders.get(
                (job.id, job.updated_at, sort, state),
                lambda: trial_order(store.engine, study, sort, state),
            )
            if study
            else []
        )
        items = trials_by_id(store.engine, order[offset : offset + limit])
        page = TrialPage(items=items, total=len(order), limit=limit, offset=offset)  # type: ignore[arg-type]
        return page.model_dump_json().encode()

    return await _cache(request).json(resource, job.updated_at, render)


@router.get(
    "/{job_id}/trials/{number}",
    summary="One trial with its learning curve",
    response_model=TrialPublic,
)
def get_trial(
    job_id: JobId,
    number: Annotated[int, Path(ge=0, le=2**31 - 1)],
    store: Store,
    user: User,
) -> TrialPublic:
    job = store.get(job_id, user.id)
    study = _study(store, job)
    trial = trial_detail(store.engine, study, number) if study else None
    if trial is None:
        raise JobNotFound(f"job '{job_id}' has no trial {number}")
    assert study is not None
    return TrialPublic(**with_axis(trial, study.fidelity))


@router.get(
    "/{job_id}/overview",
    summary="Aggregates for the job page: best over time and compute, importance, curves",
    response_model=Overview,
)
async def get_overview(job_id: JobId, request: Request, store: Store, user: User) -> Response:
    job = _job(request, store, job_id, user.id)
    decoded: Memo = request.app.state.decoded_trials

    def render() -> bytes:
        study = _study(store, job)
        known = decoded.get(job.id, dict)
        trials = all_trials(store.engine, study, known) if study else []
        maximize = study.maximize if study else True
        data = overview(trials, maximize, study.fidelity if study else None)
        metric = study.metric if study else None
        crosses = study.cross_names() if study else []
        page = Overview(
            job=JobPublic.of(job), metric=metric, maximize=maximize, crosses=crosses, **data
        )
        return page.model_dump_json().encode()

    interval = OVERVIEW_INTERVAL if job.state == "running" else 0.0
    return await _cache(request).json(("overview", job.id), job.updated_at, render, interval)


@router.get("/{job_id}/events", summary="What happened to the job (latest 500)")
def list_events(job_id: JobId, store: Store, user: User) -> list[EventPublic]:
    store.get(job_id, user.id)
    events = store.events(job_id)[-MAX_EVENTS:]
    return [EventPublic.model_validate(e, from_attributes=True) for e in events]


@router.post("/{job_id}/cancel", summary="Cancel a queued or running job")
def cancel_job(job_id: JobId, request: Request, store: Store, user: User) -> JobPublic:
    request.app.state.jobs.forget(job_id)
    return JobPublic.of(store.request_cancel(job_id, user.id))


@router.post("/{job_id}/resume", summary="Queue a cancelled or failed job again")
def resume_job(job_id: JobId, request: Request, store: Store, user: User) -> JobPublic:
    request.app.state.jobs.forget(job_id)
    return JobPublic.of(store.resume(job_id, user.id))


@router.get(
    "/{job_id}/model",
    summary="Download the best model (load it with automl.load)",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_model(job_id: JobId, store: Store, user: User) -> FileResponse:
    job = store.get(job_id, user.id)
    if job.model_path is None:
        why = (
            "it is " + job.state if job.state != "succeeded" else "the refit did not fit the budget"
        )
        raise JobNotFound(f"job '{job_id}' has no model: {why}")
    return FileResponse(
        job.model_path,
        media_type="application/octet-stream",
        filename=f"automl-{job_id}.automl",
    )


@router.delete("/{job_id}", status_code=204, summary="Delete a job, its study and its files")
def delete_job(job_id: JobId, request: Request, store: Store, user: User) -> Response:
    request.app.state.jobs.forget(job_id)
    job = store.delete(job_id, user.id)
    home = request.app.state.settings.home
    shutil.rmtree(home / "jobs" / job.id, ignore_errors=True)
    shutil.rmtree(home / "predictions" / job.study_name, ignore_errors=True)
    with contextlib.suppress(KeyError):  # a job cancelled before it ran has no study
        optuna.delete_study(study_name=job.study_name, storage=rdb_storage(store.url))
    return Response(status_code=204)


def _job(request: Request, store: JobStore, job_id: str, owner_id: int) -> Job:
    """The job if `owner_id` owns it, from the short-lived row cache when fresh."""
    rows: JobRows = request.app.state.jobs
    job = rows.get(job_id)
    if job is None:
        job = store.get(job_id)
        rows.put(job)
    if job.owner_id != owner_id:
        raise JobNotFound(f"no job with id '{job_id}'")
    return job


def _study(store: JobStore, job: Job) -> StudyRef | None:
    return find_study(store.engine, job.study_name)


def _cache(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.cache
    return cache
