"""Search: the ask -> evaluate -> tell loop under a Budget; the one place that knows sampler,
pruner, executor and storage together."""

from __future__ import annotations

import logging
import math
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

import optuna
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from automl.budget import MIN_TRIAL_SECONDS, Budget
from automl.executors import Executor, Outcome, Report, TrialAddress
from automl.fidelity import (
    BUDGET_ENDED,
    ask_pruner,
    budget_reason,
    slow_family_reason,
    time_reason,
)
from automl.record import ORIGIN_ATTR, CurvePoint, TrialRecord, stop_attrs
from automl.space import MODEL_PARAM, SearchSpace
from automl.strategies import Strategy, grid_exhausted

logger = logging.getLogger(__name__)

ValuesOf = Callable[[Any], Sequence[float]]
OnTrial = Callable[[optuna.Study, FrozenTrial], None]
"""Called after each trial, like an Optuna callback; it may raise StopSearch."""
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
WAIT_SECONDS = 0.2


class StopSearch(Exception):
    """Raised by an `on_trial` callback to end the search after this trial: no trial starts
    after it, those in flight finish, and the search ends as if its budget were spent."""


class Wait:
    """A scheduler's answer: no trial can start until one in flight has finished."""


WAIT = Wait()


class Scheduler(Protocol):
    """Decides what each trial runs from the values of finished ones (population-based
    training); the sampler still draws what a proposal leaves out. It never calls the
    executor: `start` turns a trial's configuration into the work's input."""

    def propose(self, study: optuna.Study) -> dict[str, Any] | Wait | None:
        """Settings to enqueue ({}: a fresh draw), WAIT, or None when the schedule is done."""
        ...

    def start(self, trial: optuna.Trial, config: dict[str, Any]) -> dict[str, Any]: ...

    def finish(self, trial: optuna.Trial, output: Any | None, interrupted: bool) -> None:
        """Before the trial is told: its work's output, or None if it did not finish."""
        ...


class Search:
    """Runs trials until the budget is spent, writing every outcome to the study.

    `values_of` turns the work's output into objective values; `summary_of` into TrialRecord
    fields (fit seconds, iterations...); `keep` receives each successful output (to store
    predictions); `reserve()` is the time held back for a final refit. With an
    executor of several slots, that many trials run at once, each from its own thread; asking,
    telling and the callbacks take turns under one lock, so only the work runs concurrently.
    `storage_url` (None for in-memory studies) lets remote workers report to their trial;
    a `scheduler` (PBT) decides what each trial runs from the finished trials' values.
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
        storage_url: str | None = None,
        scheduler: Scheduler | None = None,
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
        self.storage_url = storage_url
        self.scheduler = scheduler
        self.interrupted = False
        self.stopped = False
        self._lock = threading.RLock()
        self._trial_ended = threading.Condition(self._lock)
        self._n_started = 0
        self._first_result_seconds: list[float] = []
        self._first_result_by_kind: dict[str, list[float]] = {}
        self._finished_by_kind: dict[str, list[tuple[float, float]]] = {}  # (seconds, value)
        self._errors: list[BaseException] = []

    @property
    def multi_objective(self) -> bool:
        """Several directions: Optuna then takes no intermediate reports and prunes nothing."""
        return len(self.study.directions) > 1

    def run(self) -> None:
        if not self.budget.started:
            self.budget.start()
        self._n_started = len(self.study.get_trials(deepcopy=False, states=FINISHED))
        if self.executor.slots == 1:
            self._run_slot()
            return
        slots = [
            threading.Thread(target=self._run_slot_catching, name=f"automl-slot-{i}", daemon=True)
            for i in range(self.executor.slots)
        ]
        for slot in slots:
            slot.start()
        try:
            for slot in slots:
                while slot.is_alive():
                    slot.join(timeout=0.2)
        except KeyboardInterrupt:
            self._interrupt_all(slots)
        if self._errors:
            raise self._errors[0]

    def _run_slot(self) -> None:
        """Ask, run and tell trials one after another until the budget or the grid is spent."""
        while True:
            trial: optuna.Trial | Wait | None = None
            try:  # Ctrl-C may come while a trial is asked and sampled, not only while it runs
                with self._lock:
                    reserve = self.reserve()
                    trial = self._next_trial(reserve)
                    while isinstance(trial, Wait):
                        self._trial_ended.wait(WAIT_SECONDS)
                        reserve = self.reserve()
                        trial = self._next_trial(reserve)
                    if trial is None:
                        return
                    config = self.space.sample(trial)
                    if self._skipped_for_time(trial, config, reserve):
                        return  # the time left goes to the final refit
                    if self._skipped_as_slow(trial, config):
                        continue
                    work = config if self.scheduler is None else self.scheduler.start(trial, config)
                # the reserve the trial was admitted with sets its limit: another trial ending
                # meanwhile may raise the reserve, which must not leave this one too little
                self._run_trial(trial, config, work, reserve)
            except KeyboardInterrupt:
                self._interrupt(trial if isinstance(trial, optuna.Trial) else None)
                return

    def _run_slot_catching(self) -> None:
        try:
            self._run_slot()
        except BaseException as exc:  # re-raised on the calling thread by run()
            self._errors.append(exc)
            self.interrupted = True

    def _next_trial(self, reserve: float) -> optuna.Trial | Wait | None:
        if (
            self.interrupted
            or self.stopped
            or not self.budget.allows_trial(self._n_started, reserve, self._time_a_trial_needs())
        ):
            return None
        if grid_exhausted(self.strategy.sampler, self.study):
            logger.info("grid exhausted: every grid point has been tried")
            return None
        if self.scheduler is not None:
            proposal = self.scheduler.propose(self.study)
            if proposal is None or isinstance(proposal, Wait):
                return proposal
            if proposal:
                self.study.enqueue_trial(proposal)
        elif self.strategy.family_bandit is not None:
            proposal = self.strategy.family_bandit.propose(self.study)
            if proposal:
                self.study.enqueue_trial(proposal)
        self._n_started += 1
        return self.study.ask()

    def _time_a_trial_needs(self) -> float:
        """Seconds a new trial needs at least: as long as the median finished or pruned trial
        took to its first result (its first report, or its end). One started with less would
        most likely be killed with nothing; the time not used goes to the final refit."""
        if not self._first_result_seconds:
            return MIN_TRIAL_SECONDS
        return max(MIN_TRIAL_SECONDS, statistics.median(self._first_result_seconds))

    def _skipped_for_time(
        self, trial: optuna.Trial, config: dict[str, Any], reserve: float
    ) -> bool:
        """Tell `trial` pruned, unrun, when the end of the budget leaves it less time than
        trials of its kind (its model family) have so far needed to a first result: it would be
        killed with nothing. (A trial limit that applies to every trial is no reason: a kind
        that never reports in it fails as it always has.)"""
        kind = _kind_of(config)
        seen = self._first_result_by_kind.get(kind)
        limit = self.budget.trial_timeout(reserve)
        own_cap = self.budget.trial_time_limit or math.inf
        if not seen or limit is None or limit >= own_cap or statistics.median(seen) <= limit:
            return False
        text = (
            f"{kind} trials took about {statistics.median(seen):.1f}s to a first result;"
            f" this one would have had {limit:.1f}s"
        )
        self._tell(trial, config, Outcome("pruned", error=text), [])
        return True

    def _skipped_as_slow(self, trial: optuna.Trial, config: dict[str, Any]) -> bool:
        """Tell a queued starting point pruned, unrun, when its model family has proved slow
        on this data (its finished trials took more than SLOW_SHARE of the time budget each)
        while a faster family scores better (never for a slower one: that would trade the
        portfolio's points for costlier trials): a portfolio learned on small tables cannot know
        that a family costs many times more here (LightGBM grows a tree per class and round,
        so 26 classes cost 26 times a binary target). The sampler may still pick the family."""
        if self.budget.time_budget is None or ORIGIN_ATTR not in trial.user_attrs:
            return False
        kind = _kind_of(config)
        finished = self._finished_by_kind.get(kind)
        if not finished or self.multi_objective:
            return False
        seconds = _median_seconds(finished)
        if seconds <= SLOW_SHARE * self.budget.time_budget:
            return False
        sign = 1.0 if self.study.direction == StudyDirection.MAXIMIZE else -1.0
        best = {k: max(sign * v for _, v in runs) for k, runs in self._finished_by_kind.items()}
        leader = max(best, key=lambda k: best[k])
        if leader == kind or _median_seconds(self._finished_by_kind[leader]) >= seconds:
            return False
        reason = slow_family_reason(kind, seconds, SLOW_SHARE, leader)
        self._tell(trial, config, Outcome("pruned", error=reason["text"]), [], reason)
        return True

    def _interrupt(self, trial: optuna.Trial | None) -> None:
        """Ctrl-C: stop the worker, record the trial in hand (if any) as failed, keep
        everything finished."""
        self.interrupted = True
        self.executor.close()
        if trial is None:
            logger.warning("search interrupted; keeping the finished trials")
            return
        if self.scheduler is not None:
            self.scheduler.finish(trial, None, interrupted=True)
        TrialRecord(error="interrupted by the user").save(trial)
        self.study.tell(trial, state=TrialState.FAIL)
        logger.warning("search interrupted; keeping the finished trials")

    def _interrupt_all(self, slots: list[threading.Thread]) -> None:
        """Ctrl-C with trials in flight: start no more, stop the workers (their trials end as
        failed), wait for every slot to record its trial."""
        self.interrupted = True
        self.executor.close()
        for slot in slots:
            slot.join()
        logger.warning("search interrupted; keeping the finished trials")

    def _run_trial(
        self, trial: optuna.Trial, config: dict[str, Any], work: dict[str, Any], reserve: float
    ) -> FrozenTrial:
        curve = _Curve(trial, self.multi_objective)
        address = None
        if self.storage_url is not None and not self.multi_objective:
            address = TrialAddress(
                self.storage_url, self.study.study_name, trial.number, self.study.pruner
            )
        ends_by = None
        if self.budget.time_budget is not None:
            ends_by = time.monotonic() + max(0.0, self.budget.remaining - reserve)
        limit = self.budget.trial_timeout(reserve)
        outcome = self.executor.run(work, limit, curve.on_report, address, ends_by)
        if outcome.status == "timeout" and self.budget.is_budget_end(limit):
            outcome.status, outcome.error = "pruned", BUDGET_ENDED
        with self._lock:
            for report in outcome.reports:
                if outcome.reported:
                    curve.record(report)
                else:
                    curve.replay(report)
            if self.interrupted and outcome.status != "ok":
                outcome.status, outcome.error = "failed", "interrupted by the user"
            frozen = self._tell(trial, config, outcome, curve.points)
            if self.on_trial is not None:
                try:
                    self.on_trial(self.study, frozen)
                except StopSearch as stop:
                    logger.info("search stopped after trial %d: %s", frozen.number, stop)
                    self.stopped = True
            self._trial_ended.notify_all()
        return frozen

    def _tell(
        self,
        trial: optuna.Trial,
        config: dict[str, Any],
        outcome: Outcome,
        curve: list[CurvePoint],
        reason: dict[str, Any] | None = None,
    ) -> FrozenTrial:
        """Record `trial`'s outcome and tell the study (`reason`: why a pruned trial stopped,
        when it is not the time rule's)."""
        record = TrialRecord(
            config=config,
            wall_seconds=round(outcome.wall_seconds, 4),
            cpu_seconds=round(outcome.cpu_seconds, 4),
            curve=curve,
        )
        reached = [p.fidelity for p in curve if p.fidelity is not None]
        values = self._values(outcome) if outcome.status == "ok" else None
        record.fidelity = 1.0 if outcome.status == "ok" else max(reached, default=None)
        if outcome.status == "ok":
            record = replace(record, **self.summary_of(outcome.value))
            if self.keep is not None:
                self.keep(trial.number, outcome.value)
        elif outcome.status == "pruned" and outcome.error:
            record.stop_reason = reason or (
                budget_reason(outcome.wall_seconds)
                if outcome.error == BUDGET_ENDED
                else time_reason(outcome.error)
            )
            for key, value in stop_attrs(record.stop_reason).items():
                trial.set_user_attr(key, value)
            logger.info("trial %d stopped: %s", trial.number, outcome.error)
        elif outcome.error:
            record.error = outcome.error
            logger.info("trial %d %s: %s", trial.number, outcome.status, outcome.error)
        budget_ended = outcome.error == BUDGET_ENDED  # says nothing of how long its kind takes
        if outcome.status in ("ok", "pruned") and outcome.wall_seconds > 0 and not budget_ended:
            first = curve[0].wall_seconds if curve and curve[0].wall_seconds > 0 else math.inf
            self._first_result_seconds.append(min(first, outcome.wall_seconds))
            self._first_result_by_kind.setdefault(_kind_of(config), []).append(
                min(first, outcome.wall_seconds)
            )
        elif outcome.status == "timeout" and not curve:  # no result within this long
            self._first_result_by_kind.setdefault(_kind_of(config), []).append(outcome.wall_seconds)
        if values is not None:
            self._finished_by_kind.setdefault(_kind_of(config), []).append(
                (outcome.wall_seconds, values[0])
            )
        record.save(trial)
        if self.scheduler is not None:
            output = outcome.value if values is not None else None
            self.scheduler.finish(trial, output, self.interrupted)
        if values is not None:
            return self.study.tell(trial, values)
        state = TrialState.PRUNED if outcome.status == "pruned" else TrialState.FAIL
        return self.study.tell(trial, state=state)

    def _values(self, outcome: Outcome) -> list[float] | None:
        """The objective values of a finished trial; None (and the outcome marked failed) when
        they are not finite numbers, one per direction."""
        try:
            values = [float(v) for v in self.values_of(outcome.value)]
        except (TypeError, ValueError) as exc:
            outcome.status, outcome.error = "failed", f"objective returned {outcome.value!r}: {exc}"
            return None
        if not all(math.isfinite(v) for v in values):
            outcome.status, outcome.error = (
                "failed",
                f"objective returned a non-finite value {values}",
            )
            return None
        expected = len(self.study.directions)
        if len(values) != expected:
            outcome.status = "failed"
            outcome.error = f"objective returned {len(values)} values, expected {expected}"
            return None
        return values


class _Curve:
    """A trial's intermediate results: kept for its record, and reported to Optuna where it
    allows (single-objective studies), asking the pruner whether to stop."""

    def __init__(self, trial: optuna.Trial, multi_objective: bool) -> None:
        self.trial = trial
        self.multi_objective = multi_objective
        self.points: list[CurvePoint] = []

    def record(self, report: Report) -> bool:
        """Keep a finite report on the curve; False when it is not finite (nothing to tell)."""
        if not math.isfinite(report.value):
            return False
        point = CurvePoint(
            report.step,
            report.value,
            report.fidelity,
            round(report.cpu_seconds, 4),
            round(report.wall_seconds, 4),
        )
        self.points.append(point)
        return True

    def replay(self, report: Report) -> bool:
        """Record the report and give it to Optuna; False when Optuna cannot take it."""
        if not self.record(report) or self.multi_objective:
            return False
        self.trial.report(report.value, report.step)
        return True

    def on_report(self, report: Report) -> bool:
        return self.replay(report) and ask_pruner(self.trial, report.fidelity)


SLOW_SHARE = 1 / 8
"""A family whose finished trials each took more than this share of the time budget is slow
on this data: its remaining starting points are skipped while a faster family leads
(`_skipped_as_slow`)."""


def _median_seconds(runs: list[tuple[float, float]]) -> float:
    """The median seconds of a family's finished trials, (seconds, score) each."""
    return statistics.median(seconds for seconds, _ in runs)


def _kind_of(config: dict[str, Any]) -> str:
    """What a trial's time to a first result depends on most: its model family, if it has one."""
    return str(config.get(MODEL_PARAM, "trial"))
