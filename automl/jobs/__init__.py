"""The job store and queue behind the search service: users, datasets, jobs, leases and events."""

from automl.jobs._datasets import ingest_dataset
from automl.jobs._overview import overview, with_axis
from automl.jobs._schema import Job, JobEvent, StoredDataset, User
from automl.jobs._spec import JobSpec, validate_spec
from automl.jobs._store import (
    MAX_ATTEMPTS,
    Heartbeat,
    JobConflict,
    JobNotFound,
    JobStore,
)
from automl.jobs._trials import (
    StudyRef,
    all_trials,
    find_study,
    trial_detail,
    trial_order,
    trials_by_id,
)

__all__ = [
    "MAX_ATTEMPTS",
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
    "trial_detail",
    "trial_order",
    "trials_by_id",
    "validate_spec",
    "with_axis",
]
