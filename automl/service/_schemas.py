"""Request and response bodies of the REST API (the `JobCreate` / `JobPublic` family)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from automl.config import SearchSettings, job_settings, setting_default, setting_help
from automl.jobs import Job, StoredDataset

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
TrialState = Literal["running", "complete", "pruned", "fail"]


class ErrorOut(BaseModel):
    detail: str = Field(description="What went wrong and what to change.")


class Health(BaseModel):
    status: Literal["ok"]


class Me(BaseModel):
    name: str


class Choices(BaseModel):
    strategies: list[str]
    metrics: dict[str, list[str]] = Field(description="Metric name -> tasks it applies to.")


class DatasetPublic(BaseModel):
    id: str
    filename: str
    size_bytes: int
    n_rows: int
    columns: list[str]
    created_at: float

    @classmethod
    def of(cls, dataset: StoredDataset) -> DatasetPublic:
        return cls.model_validate(dataset, from_attributes=True)


class _JobCreateBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str = Field(min_length=1, max_length=64)


def _job_fields() -> dict[str, Any]:
    """The job settings of `SearchSettings` as pydantic fields, constraints and help included."""
    hints = get_type_hints(SearchSettings)
    made: dict[str, Any] = {}
    for name, constraints in job_settings().items():
        options = dict(constraints)
        annotation = options.pop("annotation", hints[name])
        default = ... if options.pop("required", False) else setting_default(name)
        made[name] = (annotation, Field(default, description=setting_help(name), **options))
    return made


if TYPE_CHECKING:

    class JobCreate(_JobCreateBase):
        """A search job: the job settings of `automl.config.SearchSettings`, on a dataset."""

else:
    JobCreate = create_model(
        "JobCreate",
        __base__=_JobCreateBase,
        __doc__="A search job: what `automl.search` takes, on an uploaded dataset.",
        **_job_fields(),
    )


class Progress(BaseModel):
    trials: int = 0
    complete: int = 0
    pruned: int = 0
    failed: int = 0
    best_score: float | None = None
    cpu_seconds: float = 0.0
    fraction: float = Field(0.0, description="Share of the budget (time or trials) used, 0-1.")


class ModelSummary(BaseModel):
    """The job's saved model: its members (trial number -> weight) and its own validation score."""

    members: dict[int, float]
    validation_score: float | None = None


class JobPublic(BaseModel):
    id: str
    state: JobState
    dataset_id: str
    spec: dict[str, Any]
    study_name: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    elapsed_seconds: float
    attempts: int
    cancel_requested: bool
    error: str | None
    has_model: bool
    model: ModelSummary | None = None
    progress: Progress

    @classmethod
    def of(cls, job: Job) -> JobPublic:
        progress = Progress(**job.progress, fraction=_fraction(job))
        model = job.progress.get("model")
        return cls(
            id=job.id,
            state=job.state,  # type: ignore[arg-type]
            dataset_id=job.dataset_id,
            spec=job.spec,
            study_name=job.study_name,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            elapsed_seconds=job.elapsed_seconds,
            attempts=job.attempts,
            cancel_requested=job.cancel_requested,
            error=job.error,
            has_model=job.model_path is not None,
            model=ModelSummary(**model) if model and job.model_path is not None else None,
            progress=progress,
        )


def _fraction(job: Job) -> float:
    if job.state == "succeeded":
        return 1.0
    shares = []
    if job.spec.get("time_budget"):
        shares.append(job.elapsed_seconds / job.spec["time_budget"])
    if job.spec.get("n_trials"):
        shares.append(job.progress.get("trials", 0) / job.spec["n_trials"])
    return round(min(1.0, max(shares, default=0.0)), 4)


class Page(BaseModel):
    total: int
    limit: int
    offset: int


class JobPage(Page):
    items: list[JobPublic]


class Axis(BaseModel):
    kind: str
    label: str


class CurvePoint(BaseModel):
    step: int
    value: float | None
    fidelity: float | None = None
    cpu_seconds: float | None = None
    wall_seconds: float | None = None
    x: float | None = Field(None, description="Where the point goes on the fidelity axis.")


class TrialPublic(BaseModel):
    number: int
    state: TrialState
    score: float | None
    started_at: float | None
    finished_at: float | None
    duration: float | None
    config: dict[str, Any]
    fidelity: float | None
    cpu_seconds: float | None
    curve: list[CurvePoint]
    forecast: dict[str, Any] | None = Field(
        None, description="The learning-curve pruner's prediction of the final score, if any."
    )
    stop_reason: dict[str, Any] | None = Field(
        None,
        description="Why a pruner stopped the trial: rule, step, reference, text (pruned only).",
    )
    stopped: str | None = Field(
        None, description="Why it ended before full fidelity, in a few words (None: it did not)."
    )
    cut_short: bool = Field(
        False, description="Complete, but its fit was ended by the trial's time limit."
    )
    iterations: int | None = None
    knots: list[int] = Field(
        default_factory=list, description="Steps where a Chain of LoRA merged a link."
    )
    axis: Axis | None = None
    error: str | None
    origin: str | None = Field(
        None,
        description="Why it was tried first (a warm start from a past study, a starting point);"
        " None: drawn by the search strategy.",
    )
    model_summary: str | None = Field(
        None, description="The configuration in one readable line (a network's architecture)."
    )


class TrialPage(Page):
    items: list[TrialPublic]


class EventPublic(BaseModel):
    at: float
    kind: str
    worker_id: str | None
    detail: str | None


class BestPoint(BaseModel):
    x: float
    best: float
    trial: int


class ScoredRow(BaseModel):
    trial: int
    state: TrialState
    score: float
    config: dict[str, Any]


class Scored(BaseModel):
    params: list[str] = Field(description="Parameters that vary, most important first.")
    rows: list[ScoredRow]


class History(BaseModel):
    x: list[float] = Field(description="Seconds since the first trial started.")
    score: list[float]
    trial: list[int]


class ForecastPoint(BaseModel):
    x: float
    mean: float
    std: float | None = None
    p_better: float | None = None


class FinalPoint(BaseModel):
    x: float
    value: float


class CurveSummary(BaseModel):
    trial: int
    state: TrialState
    x: list[float]
    y: list[float | None]
    final: FinalPoint | None
    forecast: ForecastPoint | None
    stop: str | None
    knots: list[float] = Field(
        default_factory=list, description="x of each knot: a Chain of LoRA merged a link there."
    )


class Compute(BaseModel):
    cpu_seconds: float
    full_fidelity_cpu_seconds: float | None
    saved: float | None = Field(description="1 - used / full-fidelity estimate.")


class Overview(BaseModel):
    """The job page's aggregates (computed on the server, so a 10,000-trial job stays fast)."""

    job: JobPublic
    metric: str | None
    maximize: bool
    counts: dict[str, int]
    axis: Axis = Field(description="The fidelity axis the curves are drawn on.")
    best_over_time: list[BestPoint]
    best_over_compute: list[BestPoint]
    history: History
    scored: Scored
    score_basis: str = Field(description="What the scores of `scored` are.")
    importance: dict[str, float]
    importance_note: str
    curves: list[CurveSummary]
    compute: Compute
    crosses: list[str] = Field(
        default_factory=list,
        description="Feature crosses the cross search kept for the trials, with their gains.",
    )
