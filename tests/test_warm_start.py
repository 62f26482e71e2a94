"""Warm starts: a search first tries the best configurations of similar past studies in its
storage, says so, and can be switched off or limited to named studies."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest

import automl
from automl.data import MetaFeatures
from automl.record import ORIGIN_ATTR
from automl.warm_start import distance

ADULT = MetaFeatures(
    rows=2000, columns=14, numeric_share=0.43, categorical=7, high_cardinality=1,
    classes=2, minority_share=0.24, missing_share=0.01, target_skew=None,
)  # fmt: skip


def test_distance_counts_a_factor_of_ten_in_rows_as_one() -> None:
    assert distance(ADULT, ADULT) == 0.0
    assert distance(ADULT, replace(ADULT, rows=20_000)) == pytest.approx(1.0)
    assert distance(ADULT, replace(ADULT, classes=4)) == pytest.approx(1.0)


def search(data: pd.DataFrame, storage: str, name: str, **settings: Any) -> automl.SearchResult:
    chosen = {"n_trials": 4, "space": "lightgbm,linear", **settings}
    return automl.search(
        data, target="income", storage=storage, study_name=name, seed=0,
        executor="inprocess", ensemble=False, **chosen,
    )  # fmt: skip


def origins(storage: str, name: str) -> list[str | None]:
    study = optuna.load_study(study_name=name, storage=storage)
    return [t.user_attrs.get(ORIGIN_ATTR) for t in study.get_trials(deepcopy=False)]


def test_a_search_starts_from_the_best_of_a_similar_past_study(
    adult: pd.DataFrame, tmp_path: Path
) -> None:
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    first = search(adult.iloc[:1000], storage, "first")
    second = search(adult.iloc[1000:], storage, "second")
    seen = origins(storage, "second")
    assert seen[0] is not None and seen[0].startswith("warm start from study first (scored")
    assert all(o is not None and o.startswith("starting point") for o in seen[1:])
    tried = optuna.load_study(study_name="second", storage=storage).trials[0].params
    assert tried["model"] == first.best_config["model"]
    judged = [k for k in tried if k in first.best_config and "high_cardinality" not in k]
    assert judged and all(tried[k] == first.best_config[k] for k in judged)  # Adult has no IDs
    assert any(
        n.startswith("warm start: tried first") and "first (distance" in n for n in second.notes
    )
    # switched off, or limited to studies that do not exist: only the starting points
    search(adult.iloc[1000:], storage, "cold", warm_start=False)
    search(adult.iloc[1000:], storage, "named", warm_start=["no such study"])
    for name in ("cold", "named"):
        assert not any(o and o.startswith("warm start") for o in origins(storage, name))


def test_a_past_study_of_another_task_is_never_used(adult: pd.DataFrame, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    regression = adult.assign(income=adult["age"] * 1.5)
    search(regression.iloc[:1000], storage, "regression")
    search(adult.iloc[1000:], storage, "binary")
    assert not any(o and o.startswith("warm start") for o in origins(storage, "binary"))


def test_a_bad_warm_start_setting_is_refused(adult: pd.DataFrame) -> None:
    with pytest.raises(automl.ConfigError, match="warm_start must be true, false or a list"):
        automl.search(adult, target="income", warm_start="first", storage=":memory:")


def test_a_past_choice_that_changed_nothing_on_its_data_is_not_carried_over(
    adult: pd.DataFrame, tmp_path: Path
) -> None:
    # the past search's table has no column of more than 50 values, so its "drop" for such
    # columns was never judged; the next table has one (age x hours, about 300 values)
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    dropping = {
        "models": {"lightgbm": {"n_estimators": 50}},
        "preprocessing": {"encode.high_cardinality_native": ["drop"]},
    }
    past = search(adult.iloc[:1000], storage, "past", space=dropping, n_trials=2)
    assert past.best_config["encode.high_cardinality_native"] == "drop"
    with_ids = adult.iloc[1000:].assign(
        age_hours=lambda f: f["age"].astype(str) + "x" + f["hours_per_week"].astype(str)
    )
    search(with_ids, storage, "next")
    first = optuna.load_study(study_name="next", storage=storage).trials[0]
    assert first.user_attrs[ORIGIN_ATTR].startswith("warm start from study past")
    assert first.params["encode.high_cardinality_native"] == "target"
