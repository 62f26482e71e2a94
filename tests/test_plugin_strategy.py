"""A strategy added from outside the package: one function and a decorator."""

from __future__ import annotations

from collections.abc import Iterator

import optuna
import pytest
from optuna.pruners import SuccessiveHalvingPruner

import automl
from automl.record import TrialRecord
from automl.strategies import STRATEGIES, Strategy, StrategyContext, register_strategy


@pytest.fixture
def sobol_halving() -> Iterator[None]:
    @register_strategy("sobol_halving", multi_fidelity=True)
    def recipe(context: StrategyContext) -> Strategy:
        """Scrambled Sobol points, successive halving on the reports."""
        sampler = optuna.samplers.QMCSampler(seed=context.seed, scramble=True)
        return Strategy("sobol_halving", sampler, SuccessiveHalvingPruner(reduction_factor=3))

    yield
    STRATEGIES.remove("sobol_halving")


def test_a_strategy_registered_in_a_test_file_is_used_by_name(sobol_halving: None) -> None:
    def objective(config: dict, report: automl.executors.Reporter) -> float:
        for step in range(9):
            report(config["x"] * (step + 1) / 9, step)
        return config["x"]

    result = automl.search(
        objective=objective,
        space={"x": {"type": "float", "low": 0, "high": 1}},
        strategy="sobol_halving",
        n_trials=20,
        executor="inprocess",
        seed=0,
    )
    states = [t.state for t in result.study.trials]
    assert optuna.trial.TrialState.PRUNED in states  # its pruner ran
    assert all(TrialRecord.of(t).curve for t in result.study.trials)
    assert "sobol_halving" in automl.strategies.strategy_names()
    assert result.best_score > 0.8
