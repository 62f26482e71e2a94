"""Multi-fidelity searches end to end: data-fraction rungs, boosting-round curves, bandits."""

from __future__ import annotations

import statistics
from typing import Any

import pandas as pd
import pytest
from optuna.trial import TrialState

import automl
from automl.problems.tabular import choose_fidelity
from automl.record import TrialRecord
from automl.space import tabular_space
from tests.conftest import dataset_path

QUICK: dict[str, Any] = dict(
    storage=":memory:", seed=0, evaluation="holdout", executor="inprocess", ensemble=False
)
"""A search in memory, in this process, on one holdout split, without an ensemble."""


@pytest.fixture(scope="module")
def adult_8k() -> pd.DataFrame:
    return pd.read_csv(dataset_path("adult.csv.gz"), nrows=8000)


def test_pruned_search_matches_the_unpruned_one_and_stops_trials_early(
    adult_8k: pd.DataFrame,
) -> None:
    # 6,400 training rows: too few for data-fraction rungs, so `auto` extrapolates LightGBM's
    # boosting-round curves and stops the trials that cannot catch up (LightGBM alone: the
    # family whose curves are extrapolated; 4 of 16 trials stopped, where the whole default
    # space stopped 2 of 24 in twice the time).
    space = {"models": ["lightgbm"]}
    common: dict[str, Any] = dict(target="income", n_trials=16, space=space, **QUICK)
    full = automl.search(adult_8k, strategy="tpe", **common)
    pruned = automl.search(adult_8k, strategy="auto", **common)
    assert pruned.best_score >= full.best_score - 0.005
    stopped = [t for t in pruned.study.trials if t.state == TrialState.PRUNED]
    assert len(stopped) >= 2
    records = [TrialRecord.of(t) for t in stopped]
    assert all(r.fidelity is not None and r.fidelity < 1.0 for r in records)

    def cpu_seconds(state: TrialState) -> list[float]:
        return [
            TrialRecord.of(t).cpu_seconds or 0.0 for t in pruned.study.trials if t.state == state
        ]

    # the stopped trials cost less than running them in full would have (the compute saved
    # over a whole search is measured by benchmarks/cost.py)
    median_full = statistics.median(cpu_seconds(TrialState.COMPLETE))
    assert sum(cpu_seconds(TrialState.PRUNED)) < len(stopped) * median_full


def test_data_fraction_rungs_on_most_of_adult() -> None:
    # 28,000 training rows: rungs 1/9 and 1/3 (the smallest trains on MIN_RUNG_ROWS or more)
    data = pd.read_csv(dataset_path("adult.csv.gz"), nrows=35_000)
    result = automl.search(
        data,
        target="income",
        strategy="asha",
        space={"models": {"lightgbm": {}}},
        n_trials=8,
        **QUICK,
    )
    stopped = [t for t in result.study.trials if t.state == TrialState.PRUNED]
    assert len(stopped) >= 3  # ASHA keeps the top third at each rung
    record = TrialRecord.of(stopped[0])
    assert record.fidelity in (1 / 9, 1 / 3)
    assert [p.step for p in record.curve] == sorted(stopped[0].intermediate_values)
    assert all(p.cpu_seconds > 0 for p in record.curve)
    assert result.best_score > 0.92


def test_lc_strategy_extrapolates_boosting_rounds(adult_8k: pd.DataFrame) -> None:
    space = {"models": {"lightgbm": {}}}
    result = automl.search(
        adult_8k.iloc[:4000],
        target="income",
        strategy="lc",
        space=space,
        n_trials=10,
        **{**QUICK, "seed": 2},  # how many of 10 draws are hopeless depends on the seed (0-5)
    )
    curves = [TrialRecord.of(t).curve for t in result.study.trials]
    assert all(len(c) >= 3 for c in curves)  # every LightGBM trial reports rounds 16, 23, 32...
    assert curves[0][0].step == 16 and curves[0][0].fidelity == pytest.approx(16 / 2000)
    forecasts = [f for t in result.study.trials if (f := TrialRecord.of(t).forecast)]
    assert forecasts and all(0 <= f["p_better"] <= 1 for f in forecasts)
    assert [t.state for t in result.study.trials].count(TrialState.PRUNED) >= 2
    assert result.best_score > 0.88


def test_asha_on_the_mlp_epochs(adult: pd.DataFrame) -> None:
    # An MLP-only space on small data: trials report their validation score after every epoch,
    # and ASHA stops the weaker ones at epochs 1, 3 or 9.
    learning_rate = {"type": "float", "low": 1e-5, "high": 1e-2, "log": True}
    result = automl.search(
        adult,
        target="income",
        strategy="asha",
        space={"models": {"mlp": {"epochs": 12, "width": 32, "learning_rate": learning_rate}}},
        n_trials=8,
        **QUICK,
    )
    trials = result.study.trials
    first = TrialRecord.of(trials[0]).curve
    assert [p.step for p in first][:3] == [1, 2, 3]
    assert first[0].fidelity == pytest.approx(1 / 12)
    stopped = [t for t in trials if t.state == TrialState.PRUNED]
    assert stopped and all(max(t.intermediate_values) in (1, 3, 9) for t in stopped)
    assert all(max(t.intermediate_values) < 12 for t in trials)  # the last epoch: the result
    assert result.best_score > 0.85
    plan = choose_fidelity("auto", 1000, tabular_space({"models": ["mlp"]}))
    assert (plan.kind, plan.full_step) == ("epochs", 60)


def epochs(config: dict[str, Any], report: Any) -> float:
    """A learning curve over 27 'epochs' whose plateau depends on the configuration."""
    top = 10 - (config["x"] - 3) ** 2 / 5
    value = 0.0
    for epoch in range(27):
        value = top * (1 - 0.8 ** (epoch + 1))
        report(value, epoch)
    return value


@pytest.mark.parametrize("strategy", ["asha", "hyperband", "bohb", "lc"])
def test_bandit_and_curve_strategies_on_a_custom_objective(strategy: str) -> None:
    space = {"x": {"type": "float", "low": 0, "high": 10}}
    result = automl.search(
        objective=epochs,
        space=space,
        n_trials=30,
        strategy=strategy,
        storage=":memory:",
        seed=0,
        executor="inprocess",
    )
    states = [t.state for t in result.study.trials]
    assert states.count(TrialState.PRUNED) >= 5
    assert result.best_score > 9
