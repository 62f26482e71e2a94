"""Workers of the search service: claim jobs from the job store and run their searches."""

from automl.workers._runner import run_job
from automl.workers._worker import Worker

__all__ = ["Worker", "run_job"]
