"""Budget arithmetic with an injected clock, and Caruana ensemble selection on synthetic predictions."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import automl
from automl.budget import Budget
from automl.data import EvaluationPlan, Task
from automl.ensemble import blend_or_best, select_ensemble
from automl.executors._base import usable_cpus
from automl.metrics import get_metric
from automl.record import TrialRecord
from automl.refit import refit_seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_budget_limits_trials_and_holds_back_the_reserve() -> None:
    clock = FakeClock()
    budget = Budget(time_budget=60, n_trials=10, trial_time_limit=15, clock=clock)
    budget.start()
    assert budget.allows_trial(n_finished=3)
    assert budget.trial_timeout(reserve=5) == 15
    clock.now += 50
    assert budget.trial_timeout(reserve=5) == pytest.approx(5)  # 10 s left minus the reserve
    assert not budget.allows_trial(n_finished=3, reserve=10)
    assert budget.allows_trial(n_finished=3, reserve=5, needs=4)
    assert not budget.allows_trial(n_finished=3, reserve=5, needs=6)  # trials take 6 s
    assert budget.hard_remaining == pytest.approx(60 * 1.05 - 50)
    assert not budget.allows_trial(n_finished=10)


def test_budget_without_time_limit() -> None:
    budget = Budget(n_trials=2)
    budget.start()
    assert budget.trial_timeout() is None and budget.remaining == float("inf")


def test_caruana_combines_complementary_models() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=2000)
    a = y + rng.normal(scale=1.0, size=y.size)  # two equally good, independent errors
    b = y + rng.normal(scale=1.0, size=y.size)
    bad = y + rng.normal(scale=3.0, size=y.size)
    metric = get_metric("rmse", Task.REGRESSION)
    weights = select_ensemble({0: a, 1: b, 2: bad}, y, metric)
    assert sum(weights.values()) == pytest.approx(1.0)
    assert set(weights) >= {0, 1} and weights.get(2, 0) < 0.2
    blended = sum(w * {0: a, 1: b, 2: bad}[n] for n, w in weights.items())
    assert metric.score(y, blended) < 0.8 * min(metric.score(y, a), metric.score(y, b))


def test_a_blend_that_only_fits_the_rows_it_was_chosen_on_gives_way_to_the_best_alone() -> None:
    # one real model and 19 of pure noise, scored by accuracy on 200 rows: the greedy blend
    # takes in noise that happens to fix some of these rows; chosen on one half of the rows
    # and scored on the other it loses to the real model alone
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=200)
    logits = rng.normal(size=(200, 4))
    logits[np.arange(200), y] += 1.0
    real = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    candidates = {0: real, **{n: rng.dirichlet(np.ones(4), size=200) for n in range(1, 20)}}
    metric = get_metric("accuracy", Task.MULTICLASS)
    assert len(select_ensemble(candidates, y, metric)) > 1
    assert blend_or_best(candidates, y, metric) == {0: 1.0}


def test_a_blend_of_complementary_models_is_kept() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=2000)
    models = {n: y + rng.normal(scale=1.0, size=y.size) for n in range(3)}
    metric = get_metric("rmse", Task.REGRESSION)
    weights = blend_or_best(models, y, metric)
    assert weights == select_ensemble(models, y, metric) and len(weights) == 3


def test_caruana_keeps_a_single_dominant_model() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=1000)
    good = np.column_stack([1 - (0.8 * y + 0.1), 0.8 * y + 0.1])
    noise = rng.uniform(size=1000)
    weak = np.column_stack([1 - noise, noise])
    weights = select_ensemble({5: good, 6: weak}, y, get_metric("log_loss", Task.BINARY))
    assert weights == {5: 1.0}


def test_when_no_refit_fits_in_time_the_trials_own_split_models_are_the_model(
    adult: pd.DataFrame,
) -> None:
    # a forest that grows until its deadline takes longer to refit on all rows than is left
    forest = {"n_estimators": {"type": "int", "low": 20000, "high": 20000}}
    result = automl.search(
        adult,
        target="income",
        n_trials=1,
        time_budget=6,
        strategy="random",
        space={"models": {"random_forest": forest}},
        evaluation="holdout",
        storage=":memory:",
        seed=0,
    )
    assert result.model is not None, result.notes
    assert any("split model(s) as fitted during the search" in n for n in result.notes)
    assert result.model.info["fold_models"] == 1
    proba = result.predict_proba(adult.head(200))
    assert roc_auc_score(adult.head(200)["income"] == ">50K", proba[">50K"]) > 0.8


@pytest.fixture
def busy_machine() -> Iterator[None]:
    """Every usable core kept busy by another process, as on a shared machine."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(usable_cpus())
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def test_a_short_search_on_a_busy_machine_ends_with_a_model_in_time(
    adult: pd.DataFrame, busy_machine: None
) -> None:
    start = time.perf_counter()
    result = automl.search(adult, target="income", time_budget=5, storage=":memory:", seed=0)
    seconds = time.perf_counter() - start
    assert result.model is not None, result.notes
    assert seconds <= 5 * 1.05, seconds  # the whole call, worker start-up included
    proba = result.predict_proba(adult.head(200))
    assert roc_auc_score(adult.head(200)["income"] == ">50K", proba[">50K"]) > 0.8


def test_the_refit_estimate_counts_the_threads_the_refit_gains(adult: pd.DataFrame) -> None:
    # trials side by side run a thread each; the refit runs alone on every core, faster
    plan = EvaluationPlan(n_folds=1)
    assert refit_seconds(8.0, plan, threads=1, refit_threads=1) == pytest.approx(10.0)
    assert refit_seconds(8.0, plan, threads=1, refit_threads=2) == pytest.approx(10.0 / 1.40, 0.01)
    assert refit_seconds(8.0, plan, threads=2, refit_threads=2) == pytest.approx(10.0)
    result = automl.search(
        adult.head(1000),
        target="income",
        n_trials=2,
        n_parallel=2,
        strategy="random",
        space={"models": {"linear": {}}},
        evaluation="holdout",
        storage=":memory:",
        seed=0,
    )
    threads = {TrialRecord.of(t).threads for t in result.completed}
    assert threads == {max(1, usable_cpus() // 2)}  # recorded from the worker's thread cap
