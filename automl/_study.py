"""Open or resume an Optuna study, refusing to resume one that was run on other data or settings."""

from __future__ import annotations

from typing import Any

import optuna

from automl.exceptions import ConfigError
from automl.storage import MEMORY, new_study_name, open_storage, resolve_url
from automl.strategies import Strategy

COMPARED_KEYS = ("kind", "target", "task", "metric", "fingerprint", "directions")


def open_study(
    storage: str | None,
    study_name: str | None,
    strategy: Strategy,
    directions: list[str],
    meta: dict[str, Any],
) -> tuple[optuna.Study, bool]:
    """Return (study, is_new). Resuming checks the stored metadata against `meta`."""
    name = study_name or new_study_name()
    study = optuna.create_study(
        storage=open_storage(storage),
        sampler=strategy.sampler,
        pruner=strategy.pruner,
        study_name=name,
        directions=[optuna.study.StudyDirection[d.upper()] for d in directions],
        load_if_exists=True,
    )
    stored = study.user_attrs.get("automl")
    if stored is None:
        if study.trials:
            raise ConfigError(
                f"study '{name}' exists and was not created by automl; choose another name"
            )
        study.set_user_attr("automl", {**meta, "directions": directions})
        return study, True
    for key in COMPARED_KEYS:
        now = directions if key == "directions" else meta.get(key)
        if stored.get(key) != now:
            raise ConfigError(
                f"study '{name}' was run with {key}={stored.get(key)!r}, not {now!r};"
                " use a new study name to start over"
            )
    return study, False


def is_memory(storage: str | None) -> bool:
    return storage == MEMORY


def storage_url(storage: str | None) -> str | None:
    """The database URL workers on other machines report to; None for in-memory studies."""
    return None if is_memory(storage) else resolve_url(storage)
