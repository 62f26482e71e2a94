"""Population-based training of the torch MLP on real data, and the MLP family in a search."""

from __future__ import annotations

import random
from typing import Any

import pandas as pd
import pytest

import automl
from automl.exceptions import ConfigError
from automl.pbt import explore
from automl.record import lineage_of
from automl.space import tabular_space
from tests.conftest import SMALL_NETWORKS


def test_pbt_exploits_the_best_and_records_lineage(letter: pd.DataFrame) -> None:
    result = automl.search(
        letter,
        target="Letter",
        strategy="pbt",
        n_trials=16,  # 8 members x 2 rounds
        space=SMALL_NETWORKS,
        metric="accuracy",
        storage=":memory:",
        seed=0,
        n_parallel=2,
    )
    trials = result.study.trials
    lineage = [lineage_of(t) for t in trials]
    assert len(trials) == 16
    assert sorted({entry["generation"] for entry in lineage}) == [0, 1]
    second = [
        (t, entry) for t, entry in zip(trials, lineage, strict=True) if entry["generation"] == 1
    ]
    copied = [(t, entry) for t, entry in second if entry["copied_from"]]
    assert len(copied) == 2, "the worst quarter of 8 members copies the best quarter"
    first_scores = {
        t.number: t.value for t, e in zip(trials, lineage, strict=True) if e["generation"] == 0
    }
    best_first = sorted(first_scores.values())[-2:]
    for _, entry in copied:
        donor = entry["copied_from"]["trial"]
        assert first_scores[donor] in best_first
        assert entry["continued_from"] == donor and entry["epochs"] == 6
    assert all(entry["epochs"] == 6 for _, entry in second)
    assert result.best_score > 0.5  # 26 classes: chance is 0.04
    assert (result.predict(letter.head(200)) == letter["Letter"].head(200)).mean() > 0.5


def test_explore_keeps_values_inside_the_space() -> None:
    space = tabular_space({"models": ["mlp"]}).space
    explorable, rng = {"mlp.learning_rate", "mlp.batch_size"}, random.Random(0)
    config: dict[str, Any] = {"mlp.learning_rate": 0.0099, "mlp.batch_size": 64, "mlp.width": 100}
    for _ in range(200):
        explored = explore(config, space, explorable, rng)
        assert 1e-4 <= explored["mlp.learning_rate"] <= 1e-2
        assert explored["mlp.batch_size"] in (64, 128, 256, 512)
        assert explored["mlp.width"] == 100, "only explorable settings change"


def test_pbt_needs_the_mlp_family(letter: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="pbt' trains models in checkpointed segments"):
        automl.search(
            letter, target="Letter", strategy="pbt", n_trials=8, space={"models": ["knn"]}
        )


def test_the_mlp_family_in_an_ordinary_search(housing: pd.DataFrame) -> None:
    result = automl.search(
        housing,
        target="median_house_value",
        n_trials=2,
        space={"models": {"mlp": {"epochs": 15}}},
        strategy="random",
        evaluation="holdout",
        storage=":memory:",
        seed=0,
        ensemble=False,
    )
    assert result.best_score > 0.4  # R2
    assert result.model is not None and len(result.predict(housing.head(20))) == 20
