"""A pipeline step added from outside the package: one class, a decorator and its YAML."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin

import automl
from automl.data import ColumnRoles
from automl.models import ModelFamily
from automl.record import TrialRecord
from automl.steps import PipelineStep, register_step, unregister_step


class Clipper(TransformerMixin, BaseEstimator):
    """Clip each numeric column to its [q, 1 - q] quantiles on the training rows."""

    def __init__(self, quantile: float = 0.01) -> None:
        self.quantile = quantile

    def fit(self, X: pd.DataFrame, y: Any = None) -> Clipper:
        self.low_ = X.quantile(self.quantile)
        self.high_ = X.quantile(1 - self.quantile)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.clip(self.low_, self.high_, axis=1)

    def get_feature_names_out(self, names: Any = None) -> np.ndarray:
        return np.asarray(self.low_.index, dtype=object)


class Clip(PipelineStep):
    name = "clip"
    order = 15  # after imputing, before scaling

    def searched_for(self, param: str, family: ModelFamily) -> bool:
        return family.needs_scaling

    def transformers(
        self, params: Mapping[str, Any], family: ModelFamily, roles: ColumnRoles, seed: int
    ) -> dict[str, Any]:
        return {"numeric": Clipper(params["quantile"])} if "quantile" in params else {}

    def space_file(self, spaces: Path) -> Path:
        return Path(__file__).parent / "plugins" / "clip.yaml"


@pytest.fixture
def clip_step() -> Iterator[None]:
    register_step(Clip)
    yield
    unregister_step("clip")


def test_a_step_registered_in_a_test_file_is_searched(clip_step: None, adult: pd.DataFrame) -> None:
    result = automl.search(
        adult,
        target="income",
        space={"models": ["linear", "lightgbm"]},
        n_trials=4,
        strategy="auto",
        # each family's hand-picked starting point (the learned portfolio's first ones are
        # all LightGBM), so that 4 trials reach the linear family
        portfolio="none",
        seed=0,
        storage=":memory:",
        evaluation="holdout",
        executor="process",
    )
    configs = [TrialRecord.of(t).config for t in result.study.trials if t.state.is_finished()]
    linear = [c for c in configs if c["model"] == "linear"]
    assert linear and all(c["clip.quantile"] in (0.01, 0.05) for c in linear)
    assert all("clip.quantile" not in c for c in configs if c["model"] == "lightgbm")
    steps = result.model.pipelines[0].named_steps["encode"].named_transformers_  # type: ignore[union-attr]
    if result.best_config["model"] == "linear":
        assert isinstance(steps["numeric"][1], Clipper)
