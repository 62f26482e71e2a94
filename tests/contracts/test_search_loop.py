"""Search's budget and scheduling rules with a fake executor and a fake clock: no trial does
real work and no test sleeps, so each rule is checked in milliseconds."""

from __future__ import annotations

from typing import Any

import optuna
import pytest

from automl.budget import Budget
from automl.executors import OnReport, Outcome, Report, TrialAddress
from automl.record import TrialRecord
from automl.search import Search
from automl.space import SearchSpace
from automl.strategies import make_strategy

SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0, "high": 1}})


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeExecutor:
    """Each trial "takes" `seconds` on the fake clock, reports `curve` and returns x (or x and
    1 - x for two objectives); the timeout each trial was given is kept."""

    slots = 1

    def __init__(self, clock: FakeClock, seconds: float, curve: int = 0, two: bool = False):
        self.clock, self.seconds, self.curve, self.two = clock, seconds, curve, two
        self.timeouts: list[float | None] = []

    def run(
        self,
        config: dict[str, Any],
        timeout: float | None,
        on_report: OnReport,
        address: TrialAddress | None = None,
        ends_by: float | None = None,
    ) -> Outcome:
        self.timeouts.append(timeout)
        for step in range(self.curve):
            if on_report(Report(config["x"] * step, step, (step + 1) / self.curve, 0.1)):
                return Outcome("pruned", wall_seconds=1.0)
        self.clock.now += self.seconds
        value = (config["x"], 1 - config["x"]) if self.two else config["x"]
        return Outcome("ok", value, wall_seconds=self.seconds, cpu_seconds=self.seconds)

    def close(self) -> None:
        pass


def search(
    budget: Budget,
    executor: FakeExecutor,
    strategy: str = "random",
    directions: int = 1,
    reserve: float = 0.0,
) -> optuna.Study:
    study = optuna.create_study(directions=["maximize"] * directions)
    values = (lambda v: list(v)) if directions > 1 else (lambda v: [v])
    made = make_strategy(strategy, SPACE, seed=0)
    Search(study, SPACE, made, executor, budget, values, reserve=lambda: reserve).run()
    return study


def test_no_trial_starts_once_the_time_budget_is_spent() -> None:
    clock = FakeClock()
    study = search(Budget(time_budget=35.5, clock=clock), FakeExecutor(clock, seconds=1))
    assert len(study.trials) == 35  # one a second, the last started with 1.5 s left


def test_no_trial_starts_with_less_time_left_than_the_median_trial_took() -> None:
    clock = FakeClock()
    executor = FakeExecutor(clock, seconds=10)
    study = search(Budget(time_budget=35, clock=clock), executor)
    # started at 0, 10 and 20 s; at 30 s the 5 s left could only get a trial killed
    assert len(study.trials) == 3 and executor.timeouts == [35, 25, 15]


def test_the_reserve_is_held_back_and_limits_each_trial() -> None:
    clock = FakeClock()
    executor = FakeExecutor(clock, seconds=4)
    study = search(Budget(time_budget=35, clock=clock), executor, reserve=10)
    assert len(study.trials) == 6  # the seventh would start with 11 s left, 10 of them reserved
    assert executor.timeouts == [25, 21, 17, 13, 9, 5]


def test_a_trial_budget_counts_finished_trials() -> None:
    clock = FakeClock()
    study = search(Budget(n_trials=7, clock=clock), FakeExecutor(clock, seconds=1))
    assert len(study.trials) == 7 and all(t.value is not None for t in study.trials)


@pytest.mark.parametrize("strategy", ["asha", "lc"])
def test_reports_are_recorded_and_may_prune(strategy: str) -> None:
    clock = FakeClock()
    study = search(Budget(n_trials=20, clock=clock), FakeExecutor(clock, 1, curve=9), strategy)
    records = [TrialRecord.of(t) for t in study.trials]
    assert all(r.curve and r.curve[0].step == 0 for r in records)
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert all(TrialRecord.of(t).fidelity is not None for t in pruned)


def test_two_objectives_record_reports_without_pruning() -> None:
    clock = FakeClock()
    executor = FakeExecutor(clock, seconds=1, curve=3, two=True)
    study = search(Budget(n_trials=5, clock=clock), executor, "random", directions=2)
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert all(len(TrialRecord.of(t).curve) == 3 for t in study.trials)
    assert study.best_trials


class CtrlCWhileSampling(SearchSpace):
    """A space whose third sample is interrupted (Ctrl-C between two trials)."""

    def sample(self, trial: optuna.Trial) -> dict[str, Any]:
        if trial.number == 2:
            raise KeyboardInterrupt
        return super().sample(trial)


def test_ctrl_c_between_trials_keeps_the_finished_ones() -> None:
    clock = FakeClock()
    space = CtrlCWhileSampling(SPACE.params)
    study = optuna.create_study(direction="maximize")
    made = make_strategy("random", space, seed=0)
    budget = Budget(n_trials=5, clock=clock)
    run = Search(study, space, made, FakeExecutor(clock, 1), budget, lambda v: [v])
    run.run()  # returns: the interrupt is the search's, not the caller's
    states = [t.state.name for t in study.trials]
    assert run.interrupted and states == ["COMPLETE", "COMPLETE", "FAIL"]


class TwoKindsExecutor(FakeExecutor):
    """'slow' trials take 12 s to their only result, 'fast' ones 1 s."""

    def run(
        self,
        config: dict[str, Any],
        timeout: float | None,
        on_report: OnReport,
        address: TrialAddress | None = None,
        ends_by: float | None = None,
    ) -> Outcome:
        seconds = 12.0 if config["model"] == "slow" else 1.0
        self.timeouts.append(timeout if config["model"] == "slow" else None)
        self.clock.now += seconds
        return Outcome("ok", config["x"], wall_seconds=seconds, cpu_seconds=seconds)


def test_a_trial_of_a_family_that_cannot_reach_a_first_result_in_time_is_not_started() -> None:
    space = SearchSpace.from_dict(
        {"model": {"type": "categorical", "choices": ["slow", "fast"]}, **SPACE.to_dict()}
    )
    clock = FakeClock()
    executor = TwoKindsExecutor(clock, 0)
    study = optuna.create_study(direction="maximize")
    for model in ["slow"] + ["fast"] * 30 + ["slow"] * 3:  # slow at 0 and 42 s, then at 54 s
        study.enqueue_trial({"model": model, "x": 0.5})
    strategy = make_strategy("random", space, seed=0)
    budget = Budget(time_budget=60, clock=clock)
    Search(study, space, strategy, executor, budget, lambda v: [v]).run()
    assert [t for t in executor.timeouts if t is not None] == [60, 18]
    last = [t for t in study.trials if t.state != optuna.trial.TrialState.WAITING][-1]
    assert last.state == optuna.trial.TrialState.PRUNED and clock.now == 54  # not run
    reason = TrialRecord.of(last).stop_reason or {}
    assert reason["rule"] == "time"
    assert (
        reason["text"]
        == "slow trials took about 12.0s to a first result; this one would have had 6.0s"
    )
