"""The job store and queue behind the search service: users, datasets, jobs, leases and events."""

from automl.jobs._datasets import ingest_dataset
from automl.jobs._overview import overview
from automl.jobs._schema import Job, JobEvent, StoredDataset, User
from automl.jobs._spec import JobSpec, resolve_space, validate_spec
from automl.jobs._store import (
    FINAL_STATES,
    MAX_ATTEMPTS,
    STATES,
    Heartbeat,
    JobConflict,
    JobNotFound,
    JobStore,
)
from automl.jobs._trials import (
    SORTS,
    StudyRef,
    all_trials,
    find_study,
    trial_detail,
    trial_order,
    trial_page,
    trials_by_id,
)

__all__ = [
    "FINAL_STATES",
    "MAX_ATTEMPTS",
    "SORTS",
    "STATES",
    "Heartbeat",
    "Job",
    "JobConflict",
    "JobEvent",
    "JobNotFound",
    "JobSpec",
    "JobStore",
    "StoredDataset",
    "StudyRef",
    "User",
    "all_trials",
    "find_study",
    "ingest_dataset",
    "overview",
    "resolve_space",
    "trial_detail",
    "trial_order",
    "trial_page",
    "trials_by_id",
    "validate_spec",
]
