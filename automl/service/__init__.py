"""The search service: a FastAPI app over the job store, and the dashboard it serves."""

from automl.service._app import create_app
from automl.service._settings import Settings

__all__ = ["Settings", "create_app"]
