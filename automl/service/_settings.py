"""Service settings, read from `AUTOML_*` environment variables (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from automl.storage import automl_home, default_storage_url


class Settings(BaseSettings):
    """`AUTOML_HOME` data directory (uploads, models, logs); `AUTOML_DATABASE_URL` for jobs and
    Optuna's studies; `AUTOML_MAX_UPLOAD_MB`; `AUTOML_CORS_ORIGINS` (a JSON list; none by
    default, so browsers only reach the API from the dashboard it serves)."""

    model_config = SettingsConfigDict(env_prefix="AUTOML_")

    home: Path = Field(default_factory=automl_home)
    database_url: str = Field(default_factory=default_storage_url)
    max_upload_mb: float = Field(default=100.0, gt=0)
    cors_origins: list[str] = Field(default_factory=list)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
