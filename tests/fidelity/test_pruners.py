"""Promotion and stopping rules on synthetic learning curves (no clocks, no randomness)."""

from __future__ import annotations

import optuna
import pytest

from automl.fidelity import AshaPruner, LearningCurvePruner, ask_pruner, geometric_rungs
from automl.fidelity.curves import CurveForecast
from automl.fidelity.plan import FidelityPlan
from automl.fidelity.pruners import DEFAULT_THRESHOLD, calibrated
from automl.record import TrialRecord
from automl.space import SearchSpace
from automl.strategies import make_strategy

optuna.logging.set_verbosity(optuna.logging.WARNING)


def run_curve(study: optuna.Study, curve: dict[int, float], final: float | None = None) -> bool:
    """Report `curve` step by step; True if the trial was pruned (then told PRUNED)."""
    trial = study.ask()
    for step, value in curve.items():
        trial.report(value, step)
        if ask_pruner(trial):
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            return True
    study.tell(trial, final if final is not None else list(curve.values())[-1])
    return False


def test_asha_promotes_the_top_third_once_a_rung_has_enough_trials() -> None:
    study = optuna.create_study(direction="maximize", pruner=AshaPruner([1, 3, 9], eta=3))
    # The first two trials at a rung are always promoted (too few to compare with).
    assert not run_curve(study, {1: 0.70, 3: 0.75, 9: 0.80})
    assert not run_curve(study, {1: 0.60, 3: 0.65, 9: 0.70})
    # Third at rung 1: the top 1/3 of [0.70, 0.60, 0.65] is 0.70 alone, so 0.65 stops there.
    assert run_curve(study, {1: 0.65, 3: 0.90})
    # A new best at rung 1 goes on, and is judged again at rung 3 (values 0.75, 0.65, 0.72).
    assert not run_curve(study, {1: 0.80, 3: 0.76, 9: 0.85})
    assert run_curve(study, {1: 0.81, 3: 0.50})


def test_asha_for_losses_and_its_rungs() -> None:
    study = optuna.create_study(direction="minimize", pruner=AshaPruner([1], eta=2))
    assert not run_curve(study, {1: 0.5, 2: 0.4})
    assert run_curve(study, {1: 0.6})  # the worse half of [0.5, 0.6]
    assert not run_curve(study, {1: 0.3})
    assert geometric_rungs(1, 27, 3) == [1, 3, 9]
    assert geometric_rungs(16, 2000, 3) == [16, 48, 144, 432, 1296]
    with pytest.raises(ValueError):
        AshaPruner([1], eta=1)


def rising(top: float, steps: range = range(1, 9)) -> dict[int, float]:
    """Steps 1..8 of a power-law curve that reaches `top` at full fidelity (step 40)."""
    return {s: top + 0.05 * (1 - (s / 40) ** -0.5) for s in steps}


def lc_study(**kwargs: object) -> optuna.Study:
    pruner = LearningCurvePruner(lambda step: step / 40, n_startup_trials=2, **kwargs)  # type: ignore[arg-type]
    return optuna.create_study(direction="maximize", pruner=pruner)


def test_curve_pruner_stops_a_hopeless_trial_and_keeps_a_promising_one() -> None:
    study = lc_study(bounds=(0.0, 1.0))
    for top in (0.90, 0.88):
        run_curve(study, rising(top), final=top)
    assert run_curve(study, rising(0.70))  # heading for ~0.70 against a best of 0.90
    stopped = study.trials[-1]
    forecast = TrialRecord.of(stopped).forecast
    assert forecast["p_better"] < 0.05 and forecast["reference"] == 0.90
    assert forecast["mean"] < 0.8
    assert not run_curve(study, rising(0.95), final=0.95)  # on its way past the best
    assert TrialRecord.of(study.trials[-1]).forecast["p_better"] > 0.5
    reason = TrialRecord.of(stopped).stop_reason
    assert reason["rule"] == "forecast" and reason["p_better"] == forecast["p_better"]
    assert reason["reference"] == 0.90 and "chance of beating the best score 0.9" in reason["text"]
    assert TrialRecord.of(study.trials[-1]).stop_reason is None  # not stopped: no reason


def test_curve_pruner_defers_to_the_bandit_on_short_curves_and_before_startup() -> None:
    study = lc_study(fallback=AshaPruner([1], eta=2, min_competitors=2))
    assert not run_curve(study, {1: 0.5, 2: 0.6, 3: 0.7, 4: 0.72}, final=0.8)
    # Before two trials have finished the curve rule is idle; the bandit stops a poor start.
    assert run_curve(study, {1: 0.3, 2: 0.9})
    assert TrialRecord.of(study.trials[-1]).forecast is None
    reason = TrialRecord.of(study.trials[-1]).stop_reason  # the bandit's reason, not the curve's
    assert reason["rule"] == "asha" and reason["step"] == 1 and reason["value"] == 0.3
    assert (reason["rank"], reason["competitors"], reason["keep"]) == (2, 2, 1)
    assert reason["short"] == "asha: rank 2 of 2 at step 1"


def test_calibration_learns_a_systematic_gap_from_finished_trials() -> None:
    # Finals sit 0.03 above where each curve seems to be heading (the cross-validated score
    # differs from the first split's curve, say); the pruner learns the gap from them.
    study = lc_study()
    for top in (0.80, 0.82, 0.84):
        run_curve(study, rising(top), final=top + 0.03)
    run_curve(study, rising(0.85), final=0.88)
    record = TrialRecord.of(study.trials[-1]).forecast
    assert record["calibration_trials"] == 3
    assert record["shift"] == pytest.approx(0.03, abs=0.01)
    shifted = calibrated(CurveForecast(0.5, 0.01), [0.1, 0.1, 0.1])
    assert shifted.mean == pytest.approx(0.6) and shifted.std > 0


def test_two_point_curves_are_judged_on_what_finished_trials_gained() -> None:
    # Data fractions 1/9 and 1/3 (steps 1 and 3 of 9): too short to fit a curve. Finished trials
    # gained about 0.02 from 1/3 of the rows to all of them; a trial at 0.80 on 1/3 of the
    # rows cannot reach the best final of 0.92.
    pruner = LearningCurvePruner(lambda step: step / 9, min_points=2, n_startup_trials=2)
    study = optuna.create_study(direction="maximize", pruner=pruner)
    assert not run_curve(study, {1: 0.86, 3: 0.88}, final=0.90)
    assert not run_curve(study, {1: 0.60, 3: 0.70}, final=0.72)  # no record yet: not judged
    assert not run_curve(study, {1: 0.87, 3: 0.90}, final=0.92)
    assert run_curve(study, {1: 0.78, 3: 0.80})
    record = TrialRecord.of(study.trials[-1]).forecast
    assert record["mean"] == pytest.approx(0.82, abs=0.005)
    assert not run_curve(study, {1: 0.88, 3: 0.905}, final=0.93)


def test_curve_rule_waits_for_finished_trials_that_calibrate_it() -> None:
    # Two trials finished after 3 steps (early-stopped, say): nothing calibrates a forecast from
    # 4 or 6 steps, so the curve rule does not judge those lengths yet; an uncalibrated curve
    # ensemble is too sure of itself (it stopped slow learners that ended up best).
    study = lc_study()
    for top in (0.90, 0.88):
        run_curve(study, rising(top, range(1, 4)), final=top)
    assert not run_curve(study, rising(0.70), final=0.70)
    assert TrialRecord.of(study.trials[-1]).forecast is None
    run_curve(study, rising(0.72), final=0.72)
    assert run_curve(study, rising(0.60))  # two finished 8-step curves now calibrate the rule


def test_a_spread_from_few_errors_has_wide_tails() -> None:
    # Two past errors that agree closely say little about the next one: Student t, 1 dof.
    few = calibrated(CurveForecast(0.80, 0.001), [0.010, 0.011])
    many = calibrated(CurveForecast(0.80, 0.001), [0.010, 0.011] * 10)
    assert few.dof == 1
    assert few.prob_better_than(0.815) > DEFAULT_THRESHOLD > many.prob_better_than(0.815)


def test_hyperband_on_data_fraction_rungs_runs_brackets_of_successive_halving() -> None:
    # `hyperband` on a 1/9, 1/3, all-rows ladder: three brackets that start at 1/9, 1/3 and all
    # rows. Each trial is worse than every earlier one, so within the two lower brackets only
    # their first trial passes its rungs; the top bracket never prunes (full data is not a rung).
    space = SearchSpace.from_dict({"x": {"type": "float", "low": 0, "high": 1}})
    plan = FidelityPlan("data_fraction", (1 / 9, 1 / 3))
    pruner = make_strategy("hyperband", space, 0, plan).pruner
    study = optuna.create_study(direction="maximize", pruner=pruner, study_name="hyperband-test")
    stopped_at = []
    for i in range(30):
        top = 0.9 - 0.01 * i
        pruned = run_curve(study, {1: top - 0.1, 3: top - 0.05}, final=top)
        stopped_at.append(max(study.trials[-1].intermediate_values) if pruned else None)
    assert {s for s in stopped_at if s is not None} == {1, 3}  # both rungs of the ladder
    completed = [i for i, s in enumerate(stopped_at) if s is None]
    assert len(completed) >= 5 and max(completed) > 20  # the top bracket keeps late trials
    assert not run_curve(study, {1: 0.95, 3: 0.97}, final=0.99)  # a new best is promoted
