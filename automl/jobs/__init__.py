"""The job store and queue behind the search service: users, datasets, jobs, leases and events."""

from automl.jobs._datasets import ingest_dataset
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

__all__ = [
    "FINAL_STATES",
    "MAX_ATTEMPTS",
    "STATES",
    "Heartbeat",
    "Job",
    "JobConflict",
    "JobEvent",
    "JobNotFound",
    "JobSpec",
    "JobStore",
    "StoredDataset",
    "User",
    "ingest_dataset",
    "resolve_space",
    "validate_spec",
]
