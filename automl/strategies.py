"""Strategies: a name -> the Optuna sampler and pruner that drive the search.

Multi-fidelity strategies (`asha`, `hyperband`, `bohb`, `lc` and `auto`) prune on the steps
of a FidelityPlan (data-fraction rungs or boosting rounds for tabular searches); for a custom
objective the steps are whatever it reports (epochs, say) and the bandits size their rungs
from the first finished trial, as Optuna does.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    SuccessiveHalvingPruner,
)
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial, TrialState

from automl.exceptions import ConfigError
from automl.family_bandit import FamilyBandit
from automl.fidelity import AshaPruner, FidelityPlan, LearningCurvePruner, geometric_rungs
from automl.space import MODEL_PARAM, SearchSpace

STRATEGIES = (
    "auto",
    "tpe",
    "gp",
    "cmaes",
    "random",
    "qmc",
    "grid",
    "nsga2",
    "asha",
    "hyperband",
    "bohb",
    "lc",
    "pbt",
)
MULTI_FIDELITY = ("auto", "asha", "hyperband", "bohb", "lc")
Bounds = tuple[float | None, float | None]
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


def make_strategy(
    name: str,
    space: SearchSpace,
    seed: int | None,
    fidelity: FidelityPlan | None = None,
    bounds: Bounds = (None, None),
) -> Strategy:
    """Build the named strategy. `auto`: multivariate TPE over the joint conditional space,
    started from known-good configurations, with a family bandit; on a tabular search it prunes
    with successive halving on data-fraction rungs plus learning-curve extrapolation (see
    `_auto_pruner`), on a custom objective with the median rule. `bounds` are the metric's
    range, to clip extrapolated scores."""
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
        return Strategy(name, sampler, _auto_pruner(fidelity, bounds), True, bandit)
    if name in ("asha", "hyperband"):
        return Strategy(name, optuna.samplers.RandomSampler(seed=seed), _bandit(name, fidelity))
    if name == "bohb":  # TPE per Hyperband bracket: Optuna's TPESampler reads the bracket
        tpe = optuna.samplers.TPESampler(
            seed=seed, multivariate=True, warn_independent_sampling=False
        )
        return Strategy(name, tpe, _bandit("hyperband", fidelity))
    if name == "lc":
        return Strategy(
            name, optuna.samplers.TPESampler(seed=seed), _curve_pruner(fidelity, bounds)
        )
    if name == "tpe":
        return Strategy(name, optuna.samplers.TPESampler(seed=seed), nop)
    if name == "gp":
        return Strategy(name, _gp_sampler(seed), nop)
    if name == "cmaes":
        cma = optuna.samplers.CmaEsSampler(
            seed=seed, warn_independent_sampling=False, restart_strategy=None
        )
        return Strategy(name, cma, nop)
    if name in ("random", "pbt"):  # pbt: a random first population (see automl.pbt)
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


def _bandit(name: str, fidelity: FidelityPlan | None) -> BasePruner:
    """ASHA (ours, on the plan's rungs) or Optuna's Hyperband over the plan's steps; on a custom
    objective Optuna's pruners, which size rungs from the first finished trial."""
    if fidelity is None or fidelity.kind == "folds":
        if name == "asha":
            return SuccessiveHalvingPruner(reduction_factor=3)
        return HyperbandPruner(reduction_factor=3)
    low = fidelity.first_step
    if name == "asha":
        return AshaPruner(geometric_rungs(low, fidelity.full_step, fidelity.eta), fidelity.eta)
    return HyperbandPruner(
        min_resource=low, max_resource=fidelity.full_step, reduction_factor=fidelity.eta
    )


def _curve_pruner(
    fidelity: FidelityPlan | None, bounds: Bounds, fallback: BasePruner | None = None
) -> LearningCurvePruner:
    """Learning-curve extrapolation on the plan's steps (on a custom objective's steps, full
    fidelity is taken to be the longest finished trial's last step)."""
    if fidelity is not None and fidelity.kind == "data_fraction":  # at most 2 rungs below full
        return LearningCurvePruner(fidelity.fidelity_of, fallback, min_points=2, bounds=bounds)
    fidelity_of = None if fidelity is None or fidelity.kind == "folds" else fidelity.fidelity_of
    return LearningCurvePruner(fidelity_of, fallback, bounds=bounds)


def _auto_pruner(fidelity: FidelityPlan | None, bounds: Bounds) -> BasePruner:
    """Data fractions: ASHA decides at 1/9 of the rows, the calibrated forecast at 1/3. Boosting rounds: extrapolation alone (a bandit rule would stop slow learners that
    end up best). Cross-validation folds or a custom objective: the median rule."""
    if fidelity is None or fidelity.kind == "folds":
        return MedianPruner(n_startup_trials=5)
    if fidelity.kind == "data_fraction":
        return _curve_pruner(fidelity, bounds, _bandit("asha", fidelity))
    return _curve_pruner(fidelity, bounds)


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
