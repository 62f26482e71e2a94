"""One job's search, run in its own process under a worker: load the job, search, save the model.

The process exits by itself when the worker that started it dies (even by `kill -9`), so a
job taken over by another worker never runs twice at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from automl.api import search
from automl.exceptions import AutoMLError
from automl.executors import ExecutorSettings
from automl.jobs import JobSpec, JobStore
from automl.record import TrialRecord
from automl.storage import automl_home

logger = logging.getLogger(__name__)
MIN_SECONDS = 10.0
"""A job taken over with less of its time budget left still gets this long to finish."""


def job_directory(job_id: str) -> Path:
    return automl_home() / "jobs" / job_id


def model_path(job_id: str) -> Path:
    return job_directory(job_id) / "model.automl"


def run_job(
    job_id: str,
    url: str,
    worker_id: str,
    home: str,
    worker_alive: Connection,
    executor: ExecutorSettings | None = None,
) -> None:
    """The job process's entry point. The outcome goes to the store; the exit code is 0 unless
    the process could not even record it. `home` is the worker's data directory (a forkserver
    keeps the environment it started with). `worker_alive` reaches end-of-file when the worker
    is gone: the process then exits at once."""
    _exit_when_closed(worker_alive)
    os.environ["AUTOML_HOME"] = home
    store = JobStore(url, migrate=False)
    directory = job_directory(job_id)
    directory.mkdir(parents=True, exist_ok=True)
    _log_to(directory / "search.log")
    model: dict[str, Any] | None = None
    try:
        state, error, saved, model = _search(
            store, job_id, worker_id, executor or ExecutorSettings()
        )
    except AutoMLError as exc:
        state, error, saved = "failed", str(exc), None
    except Exception as exc:
        logger.error("job %s failed:\n%s", job_id, traceback.format_exc())
        state, error, saved = "failed", f"internal error: {type(exc).__name__}: {exc}", None
    store.finish(job_id, worker_id, state, error, saved, model)
    store.close()


def _search(
    store: JobStore, job_id: str, worker_id: str, executor: ExecutorSettings
) -> tuple[str, str | None, str | None, dict[str, Any] | None]:
    """Run the job's search: (state, error, model path, model summary for the job page)."""
    job = store.get(job_id)
    spec = JobSpec.from_job(job.spec)
    dataset = store.get_dataset(job.dataset_id)
    time_budget = spec.time_budget
    if time_budget is not None:
        time_budget = max(MIN_SECONDS, time_budget - job.elapsed_seconds)
    fields = {**spec.job_fields(), "time_budget": time_budget}
    if fields.get("warm_start", True):  # from the user's own past jobs only
        fields["warm_start"] = store.study_names(job.owner_id)
    result = search(
        automl_home() / dataset.path,
        **fields,
        storage=store.url,
        study_name=job.study_name,
        executor=executor.name,
        n_parallel=executor.n_parallel,
        trial_resources=executor.resources,
        ray_address=executor.ray_address,
        on_trial=ProgressRecorder(store, job_id, worker_id),
    )
    for note in result.notes:
        logger.info("note: %s", note)
    if result.model is None:  # trials ran, but none could be refit in the time left
        why = "; ".join(result.notes) or "no configuration could be refit"
        return "failed", f"no model: {why}", None, None
    summary = {
        "members": result.model.info.get("ensemble") or {},
        "validation_score": result.model.info.get("validation_score"),
    }
    return "succeeded", None, str(result.save(model_path(job_id))), summary


class ProgressRecorder:
    """After each trial: the job's counts, best score and CPU seconds, kept in the job row."""

    def __init__(self, store: JobStore, job_id: str, worker_id: str) -> None:
        self.store, self.job_id, self.worker_id = store, job_id, worker_id
        self.progress: dict[str, Any] | None = None

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if self.progress is None:  # first trial of this run: count what the study already has
            self.progress = study_progress(study)
        else:
            add_trial(self.progress, trial, study.directions[0])
        detail = f"trial {trial.number} {trial.state.name.lower()}"
        if trial.values:
            detail += f": {trial.values[0]:.6g}"
        self.store.record_trial(self.job_id, self.worker_id, dict(self.progress), detail)


def study_progress(study: optuna.Study) -> dict[str, Any]:
    progress: dict[str, Any] = {
        "trials": 0,
        "complete": 0,
        "pruned": 0,
        "failed": 0,
        "best_score": None,
        "cpu_seconds": 0.0,
    }
    for trial in study.get_trials(deepcopy=False):
        if trial.state.is_finished():
            add_trial(progress, trial, study.directions[0])
    return progress


def add_trial(
    progress: dict[str, Any], trial: FrozenTrial, direction: optuna.study.StudyDirection
) -> None:
    progress["trials"] += 1
    key = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned"}.get(trial.state, "failed")
    progress[key] += 1
    cpu = TrialRecord.of(trial).cpu_seconds or 0.0
    progress["cpu_seconds"] = round(progress["cpu_seconds"] + float(cpu), 4)
    if trial.state == TrialState.COMPLETE and trial.values:
        value, best = trial.values[0], progress["best_score"]
        maximize = direction == optuna.study.StudyDirection.MAXIMIZE
        if best is None or (value > best if maximize else value < best):
            progress["best_score"] = value


def _exit_when_closed(worker_alive: Connection) -> None:
    """Exit at once when the worker's end of the pipe closes (the worker died or let go).

    A pipe rather than the parent's pid: job processes come from a forkserver, which outlives
    the worker while its children run, so the parent pid never changes."""

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            worker_alive.recv()
        os._exit(3)

    threading.Thread(target=watch, daemon=True, name="exit-with-worker").start()


def _log_to(path: Path) -> None:
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    optuna.logging.disable_default_handler()
