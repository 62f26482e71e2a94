"""Where studies and trial predictions live: an SQLite file by default, any SQLAlchemy URL."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import sqlalchemy

from automl.exceptions import ConfigError

MEMORY = ":memory:"


def automl_home() -> Path:
    """The data directory: $AUTOML_HOME, default ~/.automl."""
    return Path(os.environ.get("AUTOML_HOME", Path.home() / ".automl")).expanduser()


def default_storage_url() -> str:
    return f"sqlite:///{automl_home() / 'automl.db'}"


def resolve_url(storage: str | None) -> str:
    """None -> the default SQLite file; a URL stays; a bare path -> an SQLite URL. An SQLite
    file's folder is created."""
    url = default_storage_url() if storage is None else storage
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


def engine_options(url: str) -> dict[str, Any]:
    """SQLAlchemy engine options: SQLite waits up to 60 s for a lock held by another process."""
    return {"connect_args": {"timeout": 60}} if url.startswith("sqlite:") else {}


def open_storage(storage: str | None) -> optuna.storages.BaseStorage | None:
    """None -> the default SQLite file; ':memory:' -> in memory; a URL or a .db path -> RDB."""
    if storage == MEMORY:
        return None
    url = resolve_url(storage)
    try:
        rdb = optuna.storages.RDBStorage(url, engine_kwargs=engine_options(url))
    except Exception as exc:  # SQLAlchemy and drivers raise many types for a bad URL
        raise ConfigError(
            f"cannot open storage {redact(url)}: {type(exc).__name__}: {exc}"
        ) from None
    if url.startswith("sqlite:"):
        use_write_ahead_log(rdb.engine)
    return rdb


def rdb_storage(url: str) -> optuna.storages.BaseStorage:
    """Optuna's storage on a database URL (never the in-memory one)."""
    storage = open_storage(url)
    if storage is None:
        raise ConfigError("a database URL is needed here, not ':memory:'")
    return storage


def use_write_ahead_log(engine: sqlalchemy.Engine) -> None:
    """SQLite in WAL mode with synchronous=NORMAL: a commit no longer waits for an fsync, which
    cuts the per-trial overhead. Committed trials survive a crash of the process; only a power
    cut can lose the last few commits. Readers (dashboards) do not block the search."""

    def on_connect(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    sqlalchemy.event.listen(engine, "connect", on_connect)
    engine.dispose()  # connections opened before the listener lack the pragmas


def new_study_name() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"automl-{stamp}-{uuid.uuid4().hex[:6]}"


def redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]+@", r"://\1:***@", url)


class PredictionStore:
    """Validation / out-of-fold predictions per trial, kept for ensembling.

    On disk under `<AUTOML_HOME>/predictions/<study>/` (one .npz per trial), or in memory.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._memory: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_study(cls, study_name: str, in_memory: bool) -> PredictionStore:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", study_name)
        return cls(None if in_memory else automl_home() / "predictions" / safe)

    def save(self, trial_number: int, indices: np.ndarray, predictions: np.ndarray) -> None:
        if self.directory is None:
            self._memory[trial_number] = (indices, predictions)
        else:
            np.savez(
                self.directory / f"trial_{trial_number}.npz",
                indices=indices,
                predictions=predictions,
            )

    def load(self, trial_number: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(row indices, predictions) of a finished trial, or None if it kept none."""
        if self.directory is None:
            return self._memory.get(trial_number)
        path = self.directory / f"trial_{trial_number}.npz"
        if not path.exists():
            return None
        with np.load(path) as data:
            return data["indices"], data["predictions"]
