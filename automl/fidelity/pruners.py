"""Pruners on partial learning curves: extrapolate to full fidelity, stop hopeless trials.

`LearningCurvePruner` is an Optuna `BasePruner`: with enough points on a trial's curve it
forecasts the final score (see `curves.forecast`) and stops the trial when the probability
that it beats the k-th best finished trial is below `threshold`; on shorter curves it defers
to a bandit rule (successive halving, Hyperband) or to nothing. The pruner only decides: the
code that asks it (`ask_pruner`) stores its forecast on the trial so a dashboard can draw it.

Forecasts are calibrated on the study itself: for finished trials that reported the same steps,
the pruner compares what it would have forecast from those steps with the score they actually
reached, shifts the forecast by the median error and widens its spread to the errors' spread.
This corrects what no curve family can know, such as the gap between the first split's curve
and the cross-validated final score, or how much a model gains from the last two thirds of the
rows. Until MIN_CALIBRATION_TRIALS finished trials share a curve's steps, the curve rule does not
judge it (the bandit rule does): uncalibrated, the ensemble's spread is far too narrow (a 0.0003
spread on a ROC AUC curve still rising, measured on wa_churn), and slow learners that end up
best were stopped at 5% of their rounds.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

import optuna
from optuna.pruners import BasePruner, NopPruner
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from automl.fidelity.curves import MIN_POINTS, CurveForecast, forecast
from automl.fidelity.reasons import bandit_reason, forecast_reason
from automl.record import forecast_attrs, stop_attrs

DEFAULT_THRESHOLD = 0.05
DECISION_GROWTH = 1.5
"""The curve rule looks at a trial when its number of points first reaches min_points, then
each time it has grown by this factor: a handful of forecasts per trial, at the same curve
lengths for every trial (so calibration forecasts are shared)."""
MIN_CALIBRATION_TRIALS = 2
CURVE_FIT_POINTS = 3
"""Shorter curves are not fitted: their forecast is the study's record of gains alone."""
CALIBRATION_WINDOW = 30
"""Calibrate on the most recent finished trials: the search drifts towards better regions."""


class LearningCurvePruner(BasePruner):
    """Stop a trial whose forecast final score is unlikely to beat the k-th best so far.

    `fidelity_of(step)` maps a reported step to its share of full fidelity (1.0 = full); when
    None, full fidelity is the longest finished trial's last step (for custom objectives whose
    epoch count is not known up front). `bounds` clip forecasts to the metric's range. The
    curve rule prunes nothing before `n_startup_trials` trials have finished (nothing to
    compare with); until then, and between decision points, the `fallback` bandit decides.
    """

    def __init__(
        self,
        fidelity_of: Callable[[int], float] | None,
        fallback: BasePruner | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        top_k: int = 1,
        min_points: int = MIN_POINTS,
        n_startup_trials: int = 3,
        bounds: tuple[float | None, float | None] = (None, None),
    ) -> None:
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must be in (0, 1), got {threshold}")
        self.fidelity_of = fidelity_of
        self.fallback = fallback or NopPruner()
        self.threshold = threshold
        self.top_k = top_k
        self.min_points = min_points
        self.n_startup_trials = n_startup_trials
        self.bounds = bounds
        self._forecasts: dict[tuple[str, int, tuple[int, ...]], float] = {}
        self._latest: dict[tuple[str, int], dict[str, Any]] = {}

    def take_forecast(self, study_name: str, number: int) -> dict[str, Any] | None:
        """The forecast behind the last decision on trial `number`, once (None: no new one)."""
        return self._latest.pop((study_name, number), None)

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        # The bandit rule always sees the report, so its rung records stay complete.
        bandit_says = self.fallback.prune(study, trial)
        steps = sorted(trial.intermediate_values)
        if not is_decision_point(len(steps), self.min_points):
            return bandit_says
        maximize = study.direction == StudyDirection.MAXIMIZE
        reference = self._reference(study, maximize)
        if reference is None:
            return bandit_says
        fidelity_of = self.fidelity_of or self._estimated_fidelity(study)
        if fidelity_of is None:
            return bandit_says
        x = [fidelity_of(s) for s in steps]
        y = [trial.intermediate_values[s] for s in steps]
        errors = self._errors(study, trial.number, steps, fidelity_of, maximize)
        if len(errors) < MIN_CALIBRATION_TRIALS:
            return bandit_says  # an uncalibrated forecast is overconfident: not trusted alone
        predicted = calibrated(self._forecast(x, y, maximize), errors)
        chance = predicted.prob_better_than(reference, maximize)
        record = {
            "step": steps[-1],
            "fidelity": round(x[-1], 6),
            **predicted.to_dict(),
            "calibration_trials": len(errors),
            "reference": reference,
            "p_better": round(chance, 6),
        }
        self._latest[(study.study_name, trial.number)] = record
        return chance < self.threshold

    def _errors(
        self,
        study: optuna.Study,
        number: int,
        steps: list[int],
        fidelity_of: Callable[[int], float],
        maximize: bool,
    ) -> list[float]:
        """Final score minus forecast from `steps`, for recent finished trials with those steps."""
        errors: list[float] = []
        finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        for other in reversed(finished):
            if len(errors) >= CALIBRATION_WINDOW:
                break
            if other.number == number or other.value is None:
                continue
            if any(s not in other.intermediate_values for s in steps):
                continue
            key = (study.study_name, other.number, tuple(steps))
            if key not in self._forecasts:
                y = [other.intermediate_values[s] for s in steps]
                x = [fidelity_of(s) for s in steps]
                self._forecasts[key] = self._forecast(x, y, maximize).mean
            errors.append(other.value - self._forecasts[key])
        return errors

    def _forecast(self, x: list[float], y: list[float], maximize: bool) -> CurveForecast:
        """The curve ensemble's forecast; on a curve too short to fit, the best value so far
        with no spread (calibration then adds what finished trials gained from there)."""
        if len(x) >= CURVE_FIT_POINTS:
            predicted = forecast(x, y, 1.0, maximize, self.bounds, CURVE_FIT_POINTS)
            if predicted is not None:
                return predicted
        return CurveForecast(max(y) if maximize else min(y), 0.0)

    @staticmethod
    def _estimated_fidelity(study: optuna.Study) -> Callable[[int], float] | None:
        """(step + 1) / (the longest finished trial's last step + 1): steps may start at 0."""
        full = max(
            (
                t.last_step
                for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if t.last_step is not None
            ),
            default=None,
        )
        if not full:
            return None
        return lambda step: (step + 1) / (full + 1)

    def _reference(self, study: optuna.Study, maximize: bool) -> float | None:
        """The k-th best final value among finished trials, once there are enough of them."""
        values = [
            t.value
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.value is not None
        ]
        if len(values) < max(self.n_startup_trials, self.top_k):
            return None
        values.sort(reverse=maximize)
        return float(values[self.top_k - 1])


def is_decision_point(n_points: int, min_points: int) -> bool:
    """Whether a curve of `n_points` is one the curve rule judges (min_points, then x1.5)."""
    point = float(min_points)
    while round(point) < n_points:
        point *= DECISION_GROWTH
    return round(point) == n_points


def calibrated(predicted: CurveForecast, errors: list[float]) -> CurveForecast:
    """Shift a forecast by the median of past forecast errors and widen it to their spread.

    With n errors the spread counts with weight (1 + 1/n) and the curve ensemble's own
    uncertainty with 1/n, so a study's own record takes over as it grows; the result is a
    Student t with n - 1 degrees of freedom (a spread from two or three errors is itself a
    guess: by chance two errors can agree to the fourth decimal).
    """
    if len(errors) < MIN_CALIBRATION_TRIALS:
        return predicted
    shift = statistics.median(errors)
    n = len(errors)
    spread = math.sqrt(sum((e - shift) ** 2 for e in errors) / (n - 1))
    std = math.sqrt(spread**2 * (1 + 1 / n) + predicted.std**2 / n)
    return CurveForecast(predicted.mean + shift, std, predicted.weights, shift, dof=n - 1)


def ask_pruner(trial: optuna.Trial, fidelity: float | None = None) -> bool:
    """Ask the study's pruner about the trial's latest report; store any forecast it made and,
    when it says stop, the reason (the pruner only decides, it never writes). `fidelity` is
    the share of full fidelity of the latest report, for the reason's wording."""
    decision = trial.should_prune()
    pruner = trial.study.pruner
    forecast = None
    if isinstance(pruner, LearningCurvePruner):
        forecast = pruner.take_forecast(trial.study.study_name, trial.number)
        if forecast is not None:
            for key, value in forecast_attrs(forecast).items():
                trial.set_user_attr(key, value)
    if decision:
        for key, value in stop_attrs(_reason(pruner, trial, forecast, fidelity)).items():
            trial.set_user_attr(key, value)
    return decision


def _reason(
    pruner: BasePruner,
    trial: optuna.Trial,
    forecast: dict[str, Any] | None,
    fidelity: float | None,
) -> dict[str, Any]:
    if isinstance(pruner, LearningCurvePruner):
        if forecast is not None and forecast["p_better"] < pruner.threshold:
            return forecast_reason(forecast, pruner.threshold)
        pruner = pruner.fallback
    return bandit_reason(pruner, trial.study, trial.number, fidelity)
