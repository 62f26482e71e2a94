"""Open or resume an Optuna study, refusing to resume one that was run on other data or settings."""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from automl.exceptions import ConfigError
from automl.record import StudyMeta, TrialRecord
from automl.storage import MEMORY, new_study_name, open_storage, resolve_url
from automl.strategies import Strategy


def open_study(
    storage: str | None, study_name: str | None, strategy: Strategy, meta: StudyMeta
) -> tuple[optuna.Study, bool]:
    """Return (study, is_new). Resuming checks the stored metadata against `meta` and marks
    trials a killed earlier run left RUNNING as failed."""
    name = study_name or new_study_name()
    backend = open_storage(storage) or optuna.storages.InMemoryStorage()
    study = optuna.create_study(
        storage=backend,
        sampler=strategy.sampler,
        pruner=strategy.pruner,
        study_name=name,
        directions=[optuna.study.StudyDirection[d.upper()] for d in meta.directions],
        load_if_exists=True,
    )
    stored = StudyMeta.from_attrs(study.user_attrs)
    if stored is None:
        if study.trials:
            raise ConfigError(
                f"study '{name}' exists and was not created by automl; choose another name"
            )
        meta.save(study)
        return study, True
    why = stored.mismatch(meta)
    if why is not None:
        raise ConfigError(f"study '{name}' was run with {why}; use a new study name to start over")
    fail_interrupted_trials(study, backend)
    return study, False


def fail_interrupted_trials(study: optuna.Study, backend: optuna.storages.BaseStorage) -> None:
    """Trials left RUNNING by a killed earlier run can never finish: mark them failed."""
    study_id = backend.get_study_id_from_name(study.study_name)
    record = TrialRecord(error="interrupted: the search process stopped mid-trial")
    for stale in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        trial_id = backend.get_trial_id_from_study_id_trial_number(study_id, stale.number)
        for key, value in record.to_attrs().items():
            backend.set_trial_user_attr(trial_id, key, value)
        study.tell(stale.number, state=TrialState.FAIL, skip_if_finished=True)


def is_memory(storage: str | None) -> bool:
    return storage == MEMORY


def storage_url(storage: str | None) -> str | None:
    """The database URL workers on other machines report to; None for in-memory studies."""
    return None if is_memory(storage) else resolve_url(storage)
