"""Strategies: a name -> the Optuna sampler and pruner that drive the search."""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.pruners import BasePruner, MedianPruner, NopPruner
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial, TrialState

from automl.exceptions import ConfigError
from automl.family_bandit import FamilyBandit
from automl.space import MODEL_PARAM, SearchSpace

STRATEGIES = ("auto", "tpe", "gp", "cmaes", "random", "qmc", "grid", "nsga2")
GRID_POINTS = 3


@dataclass(frozen=True)
class Strategy:
    """A sampler, a pruner, and whether to try the space's starting points first."""

    name: str
    sampler: BaseSampler
    pruner: BasePruner
    use_starting_points: bool = False
    family_bandit: FamilyBandit | None = None

    @property
    def multi_objective(self) -> bool:
        return self.name == "nsga2"


def make_strategy(name: str, space: SearchSpace, seed: int | None) -> Strategy:
    """Build the named strategy. `auto`: multivariate TPE over the joint conditional space,
    started from known-good configurations, with median pruning on intermediate reports."""
    if name not in STRATEGIES:
        close = difflib.get_close_matches(str(name), STRATEGIES, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(
            f"unknown strategy '{name}'{hint}; choose one of: {', '.join(STRATEGIES)}"
        )
    nop = NopPruner()
    if name == "auto":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(
                seed=seed, multivariate=True, group=True, n_startup_trials=5
            )
        model = next(
            (p for p in space.params if p.name == MODEL_PARAM and p.type == "categorical"), None
        )
        bandit = (
            FamilyBandit([str(c) for c in model.choices], seed)
            if model and len(model.choices) > 1
            else None
        )
        return Strategy(name, sampler, MedianPruner(n_startup_trials=5), True, bandit)
    if name == "tpe":
        return Strategy(name, optuna.samplers.TPESampler(seed=seed), nop)
    if name == "gp":
        return Strategy(name, _gp_sampler(seed), nop)
    if name == "cmaes":
        cma = optuna.samplers.CmaEsSampler(
            seed=seed, warn_independent_sampling=False, restart_strategy=None
        )
        return Strategy(name, cma, nop)
    if name == "random":
        return Strategy(name, optuna.samplers.RandomSampler(seed=seed), nop)
    if name == "qmc":
        return Strategy(
            name,
            optuna.samplers.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False),
            nop,
        )
    if name == "grid":
        return Strategy(name, AskTellGridSampler(space.grid(GRID_POINTS), seed=seed), nop)
    return Strategy(name, optuna.samplers.NSGAIISampler(seed=seed), nop)


def _gp_sampler(seed: int | None) -> BaseSampler:
    try:
        import torch  # noqa: F401  (GPSampler needs it)
    except ImportError:
        raise ConfigError(
            "strategy 'gp' needs PyTorch: pip install torch==2.13.0 (or pip install 'automl[deep]')"
        ) from None
    return optuna.samplers.GPSampler(seed=seed, warn_independent_sampling=False)


class AskTellGridSampler(optuna.samplers.GridSampler):
    """GridSampler for an ask/tell loop: Optuna's stops the study from `after_trial`, which is
    only allowed inside `study.optimize`; the Search loop checks `is_exhausted` itself."""

    def after_trial(
        self, study: optuna.Study, trial: FrozenTrial, state: TrialState, values: Any
    ) -> None:
        return None


def grid_exhausted(sampler: BaseSampler, study: optuna.Study) -> bool:
    return isinstance(sampler, optuna.samplers.GridSampler) and sampler.is_exhausted(study)
