"""Search: the ask -> evaluate -> tell loop under a Budget; the one place that knows sampler,
pruner, executor and storage together."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from automl.budget import Budget
from automl.executors import Executor, Outcome, Report
from automl.space import SearchSpace
from automl.strategies import Strategy, grid_exhausted

logger = logging.getLogger(__name__)

ValuesOf = Callable[[Any], Sequence[float]]
OnTrial = Callable[[optuna.Study, FrozenTrial], None]
"""Called after each trial, like an Optuna callback."""
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


class Search:
    """Runs trials until the budget is spent, writing every outcome to the study.

    `values_of` turns the work's output into objective values; `keep` receives each successful
    output (to store predictions); `reserve()` is the time held back for a final refit.
    """

    def __init__(
        self,
        study: optuna.Study,
        space: SearchSpace,
        strategy: Strategy,
        executor: Executor,
        budget: Budget,
        values_of: ValuesOf,
        summary_of: Callable[[Any], dict[str, Any]] = lambda _: {},
        keep: Callable[[int, Any], None] | None = None,
        on_trial: OnTrial | None = None,
        reserve: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self.study = study
        self.space = space
        self.strategy = strategy
        self.executor = executor
        self.budget = budget
        self.values_of = values_of
        self.summary_of = summary_of
        self.keep = keep
        self.on_trial = on_trial
        self.reserve = reserve
        self.interrupted = False

    def run(self) -> None:
        fail_interrupted_trials(self.study)
        if not self.budget.started:
            self.budget.start()
        n_finished = len(self.study.get_trials(deepcopy=False, states=FINISHED))
        while self.budget.allows_trial(n_finished, self.reserve()):
            if grid_exhausted(self.strategy.sampler, self.study):
                logger.info("grid exhausted: every grid point has been tried")
                break
            if self.strategy.family_bandit is not None:
                proposal = self.strategy.family_bandit.propose(self.study)
                if proposal:
                    self.study.enqueue_trial(proposal)
            trial = self.study.ask()
            try:
                frozen = self._run_trial(trial)
            except KeyboardInterrupt:
                self._interrupt(trial, n_finished)
                break
            n_finished += 1
            if self.on_trial is not None:
                self.on_trial(self.study, frozen)

    def _interrupt(self, trial: optuna.Trial, n_finished: int) -> None:
        """Ctrl-C: stop the worker, record the trial as failed, keep everything finished."""
        self.interrupted = True
        self.executor.close()
        trial.set_user_attr("result", {"error": "interrupted by the user"})
        self.study.tell(trial, state=TrialState.FAIL)
        logger.warning("search interrupted; keeping the %d finished trials", n_finished)

    def _run_trial(self, trial: optuna.Trial) -> FrozenTrial:
        config = self.space.sample(trial)
        curve: list[dict[str, Any]] = []
        outcome = self.executor.run(
            config, self.budget.trial_timeout(self.reserve()), self._reporter(trial, curve)
        )
        return self._tell(trial, config, outcome, curve)

    def _reporter(
        self, trial: optuna.Trial, curve: list[dict[str, Any]]
    ) -> Callable[[Report], bool]:
        """Record each report on the curve; as an intermediate value where Optuna allows
        (single-objective studies), asking the pruner whether to stop."""

        def on_report(report: Report) -> bool:
            if not math.isfinite(report.value):
                return False
            curve.append(
                {
                    "step": report.step,
                    "value": report.value,
                    "fidelity": report.fidelity,
                    "cpu_seconds": round(report.cpu_seconds, 4),
                }
            )
            if self.strategy.multi_objective:
                return False
            trial.report(report.value, report.step)
            return trial.should_prune()

        return on_report

    def _tell(
        self,
        trial: optuna.Trial,
        config: dict[str, Any],
        outcome: Outcome,
        curve: list[dict[str, Any]],
    ) -> FrozenTrial:
        record: dict[str, Any] = {
            "config": config,
            "wall_seconds": round(outcome.wall_seconds, 4),
            "cpu_seconds": round(outcome.cpu_seconds, 4),
        }
        if curve:
            record["curve"] = curve
        reached = [p["fidelity"] for p in curve if p["fidelity"] is not None]
        record["fidelity"] = 1.0 if outcome.status == "ok" else max(reached, default=None)
        values: Sequence[float] | None = None
        if outcome.status == "ok":
            try:
                values = [float(v) for v in self.values_of(outcome.value)]
            except (TypeError, ValueError) as exc:
                outcome.status, outcome.error = (
                    "failed",
                    f"objective returned {outcome.value!r}: {exc}",
                )
            if values is not None and not all(math.isfinite(v) for v in values):
                outcome.status, outcome.error = (
                    "failed",
                    f"objective returned a non-finite value {values}",
                )
            if values is not None and len(values) != len(self.study.directions):
                outcome.status = "failed"
                outcome.error = f"objective returned {len(values)} values, expected {len(self.study.directions)}"
        if outcome.status == "ok":
            record.update(self.summary_of(outcome.value))
            if self.keep is not None:
                self.keep(trial.number, outcome.value)
        elif outcome.error:
            record["error"] = outcome.error
            logger.info("trial %d %s: %s", trial.number, outcome.status, outcome.error)
        trial.set_user_attr("result", record)
        if outcome.status == "ok":
            return self.study.tell(trial, values)
        state = TrialState.PRUNED if outcome.status == "pruned" else TrialState.FAIL
        return self.study.tell(trial, state=state)


def fail_interrupted_trials(study: optuna.Study) -> None:
    """Trials left RUNNING by a killed earlier run can never finish: mark them failed."""
    for stale in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study._storage.set_trial_user_attr(
            stale._trial_id,
            "result",
            {"error": "interrupted: the search process stopped mid-trial"},
        )
        study.tell(stale.number, state=TrialState.FAIL, skip_if_finished=True)
