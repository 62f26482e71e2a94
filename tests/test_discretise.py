"""The discretise step: numeric columns as sparse one-hot bins at one or several granularities,
searched for the families that need scaled inputs, carried into the saved model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.metrics import roc_auc_score

import automl
from automl.data import Dataset
from automl.models import get_family
from automl.pipeline import build_pipeline
from automl.space import tabular_space
from automl.steps._discretise import GRANULARITIES, MultiGranularityBins


def test_each_value_falls_in_exactly_one_bin_per_granularity() -> None:
    rng = np.random.default_rng(0)
    train = np.column_stack([rng.normal(size=1000), rng.exponential(size=1000)])
    bins = MultiGranularityBins((4, 16), "quantile").fit(train)
    test = np.array([[0.1, 0.5], [-100.0, 1e6], [np.nan, 0.2]])
    out = bins.transform(test)
    assert sparse.issparse(out)
    assert out.shape == (3, 2 + 2 * (4 + 16))
    onehot = out[:, 2:].toarray()
    assert onehot[:2].sum(axis=1).tolist() == [4, 4]  # 2 columns x 2 granularities
    assert onehot[2].sum() == 2  # the missing value falls in no bin
    first_column_4 = onehot[1, :4]
    assert first_column_4.tolist() == [1, 0, 0, 0]  # below every edge: the first bin
    counts = bins.transform(train)[:, 2:6].toarray().sum(axis=0)
    assert np.allclose(counts, 250, atol=2)  # quantile bins hold a quarter each


def test_equal_width_bins_and_a_column_with_few_values() -> None:
    train = np.column_stack([np.linspace(0, 10, 101), np.repeat([0.0, 1.0], [90, 11])])
    bins = MultiGranularityBins((5,), "uniform").fit(train)
    onehot = bins.transform(train)[:, 2:].toarray()
    assert onehot[:, :5].sum(axis=0).tolist() == [20, 20, 20, 20, 21]
    assert onehot.shape[1] == 5 + 2  # a two-valued column has two bins, not five


def test_searched_only_for_families_that_need_scaling() -> None:
    space = tabular_space({"models": ["linear", "knn", "mlp", "lightgbm", "random_forest"]})
    granularity = next(p for p in space.space.params if p.name == "discretise.granularity")
    assert granularity.condition is not None
    # not the MLP: it takes categories as they are (a frame), and learns its own bins
    assert set(granularity.condition.values) == {"linear", "knn"}
    assert set(granularity.choices) == {"none", *GRANULARITIES, "all"}


@pytest.mark.parametrize("model", ["linear", "knn"])
def test_every_family_it_is_searched_for_trains_on_sparse_bins(
    model: str, adult: pd.DataFrame
) -> None:
    data = Dataset.from_frame(adult.iloc[:600], "income", None)
    config = {"model": model, "discretise.granularity": "all"}
    pipeline = build_pipeline(config, data.roles, data.task, 0)
    X = pipeline[:-1].fit_transform(data.features, data.y)
    assert sparse.issparse(X)
    get_family(model).fit(pipeline[-1], X, data.y)
    assert pipeline.predict_proba(data.features.iloc[:7]).shape == (7, 2)


def test_bins_let_a_linear_model_learn_non_linear_effects(adult: pd.DataFrame) -> None:
    # 2,000 Adult rows, 1,500 to fit and 500 to score: age and hours have inverted-U effects
    data = Dataset.from_frame(adult, "income", None)
    fit, held = np.arange(1500), np.arange(1500, 2000)
    scores = {}
    for granularity in ["none", 8]:
        config = {"model": "linear", "discretise.granularity": granularity}
        pipeline = build_pipeline(config, data.roles, data.task, 0)
        pipeline.fit(data.features.iloc[fit], data.y[fit])
        predicted = pipeline.predict_proba(data.features.iloc[held])[:, 1]
        scores[granularity] = roc_auc_score(data.y[held], predicted)
    assert scores[8] > scores["none"] + 0.005, scores  # 0.910 against 0.900 here


def test_a_search_keeps_the_bins_in_the_saved_model(adult: pd.DataFrame, tmp_path) -> None:
    space = {"models": ["linear"], "preprocessing": {"discretise": {"granularity": [16]}}}
    result = automl.search(
        adult.iloc[:800], target="income", space=space, n_trials=2, storage=":memory:",
        seed=0, executor="inprocess", ensemble=False,
    )  # fmt: skip
    assert result.best_config["discretise.granularity"] == 16
    path = result.model.save(tmp_path / "model.pkl")
    predicted = automl.load(path).predict(adult.iloc[800:810].drop(columns=["income"]))
    assert len(predicted) == 10
