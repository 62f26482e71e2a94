"""TextProblem: predict a target from a column of texts by fine-tuning a pretrained
transformer with LoRA / Chain of LoRA; the search space is search_spaces/lora.yaml, trials
report on training steps; the search's model is the best trial's fine-tuned model as it was
validated (fine-tuned again on every row when that model could not be kept)."""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import optuna

from automl.budget import Budget
from automl.config import SearchSettings
from automl.data import EvaluationPlan
from automl.exceptions import ConfigError
from automl.executors import ExecutorSettings, Work, make_executor, run_within
from automl.fidelity import FidelityPlan
from automl.metrics import get_metric
from automl.problems.base import ScoredProblem, register_problem
from automl.problems.text.backbone import Backbone, require_text_libraries
from automl.problems.text.data import TextData
from automl.problems.text.lora import PREFIX, LoraChoice
from automl.problems.text.model import TextModel
from automl.problems.text.objective import TextObjective, fit_text_model
from automl.problems.text.space import lora_space, lora_spec, starting_points
from automl.record import StudyMeta, TrialRecord
from automl.result import SearchResult
from automl.space import SearchSpace
from automl.strategies import Strategy, strategy_info

logger = logging.getLogger(__name__)
TEXT_METRIC = {"binary": "accuracy", "multiclass": "accuracy"}
"""Text classification is scored by accuracy unless told otherwise (regression: the tabular
default)."""
REFIT_MARGIN = 1.3
"""The final fit on all rows is held back this many times the longest trial's fit (it
trains the same steps on 25% more rows)."""


@register_problem
class TextProblem(ScoredProblem):
    kind = "text"
    priority = 50

    def __init__(self, data: TextData, settings: SearchSettings) -> None:
        super().__init__(settings)
        self.data = data
        self.metric = get_metric(settings.metric or TEXT_METRIC.get(data.task.value), data.task)
        self.backbone = Backbone.resolve(settings.base_model)
        self.plan = EvaluationPlan(n_folds=1)
        self.seed = settings.seed or 0
        self._longest_fit = 0.0
        self._best_model: tuple[int, float, bytes] | None = None
        """The best trial so far whose model came back: number, score, pickled pipeline."""
        self._models_come_back: bool | None = None

    @classmethod
    def matches(cls, data: Any, objective: Any, settings: SearchSettings) -> bool:
        return data is not None and settings.text is not None

    @classmethod
    def build(cls, data: Any, objective: Any, settings: SearchSettings) -> TextProblem:
        if not settings.target:
            raise ConfigError("target= is required: the name of the column to predict")
        assert settings.text is not None
        require_text_libraries()
        text_data = TextData.from_source(data, settings.target, settings.text, settings.task)
        problem = cls(text_data, settings)
        if strategy_info(settings.strategy).population:
            from automl.problems.text.population import TextPopulation

            problem = TextPopulation(text_data, settings)
        logger.info("data: %s; base model: %s", text_data.describe(), problem.backbone.name)
        return problem

    @cached_property
    def _raw_space(self) -> dict[str, Any]:
        return lora_spec(self.settings.space)

    @cached_property
    def _space(self) -> SearchSpace:
        return lora_space(self._raw_space)

    def space(self) -> SearchSpace:
        return self._space

    def starting_points(self) -> Sequence[dict[str, Any]]:
        return starting_points(self._raw_space, self._space)

    @property
    def full_steps(self) -> int:
        """The most training steps the space allows: full fidelity."""
        param = next((p for p in self._space.params if p.name == PREFIX + "steps"), None)
        if param is None:
            return LoraChoice.steps
        values = [param.high] if param.high is not None else list(param.choices)
        return int(max(float(v) for v in values if v is not None))

    def fidelity(self) -> FidelityPlan:
        return FidelityPlan("steps", max_steps=self.full_steps, label="training steps")

    def study_meta(self, strategy: Strategy) -> StudyMeta:
        secondary = ("minimize",) if strategy.multi_objective else ()
        return StudyMeta(
            kind=self.kind,
            directions=(self.metric.direction, *secondary),
            target=self.settings.target,
            task=self.data.task.value,
            metric=self.metric.name,
            fingerprint=self.data.fingerprint(),
            evaluation=self.plan.name,
            space=self._space.to_dict(),
            fidelity=self.fidelity().axis(),
        )

    def work(self, strategy: Strategy, study: optuna.Study) -> Work:
        (split,) = self.plan.splits(self.data.y, self.data.task, self.seed)
        return TextObjective(
            self.data, split, self.metric, self.backbone, self.seed, self.full_steps
        )

    def values_of(self, strategy: Strategy) -> Callable[[Any], Sequence[float]]:
        """The metric; with a multi-objective strategy (nsga2) also the parameters a trial
        trained (the adapter and the head), to minimise."""
        if strategy.multi_objective:
            return lambda result: [result.score, float(result.extra["trainable"])]
        return lambda result: [result.score]

    def summary_of(self, result: Any) -> dict[str, Any]:
        return {
            "fold_scores": [round(result.score, 6)],
            "fit_seconds": round(result.fit_seconds, 4),
            "threads": result.threads,
            "iterations": result.rounds,
            "cut_short": result.cut_short or None,
            "knots": result.extra.get("knots") or None,
        }

    def keep(self, number: int, result: Any) -> None:
        """Keep the best trial's fine-tuned model (it is the search's model, as validated)."""
        self._longest_fit = max(self._longest_fit, result.fit_seconds)
        self._models_come_back = result.fold_models is not None
        if result.fold_models is None:
            return
        sign = 1.0 if self.metric.greater_is_better else -1.0
        # ties go to the lower trial number, as SearchResult.best_trial's do
        rank = (sign * result.score, -number)
        if self._best_model is None or rank > (sign * self._best_model[1], -self._best_model[0]):
            self._best_model = (number, result.score, result.fold_models)

    def reserve(self) -> float:
        """Nothing when the trials' models come back (the best is kept as it is); otherwise
        the final fit on all rows: as long as the longest trial's, with a margin."""
        if not self.settings.time_budget or self._models_come_back:
            return 0.0
        if not self._longest_fit:
            return 0.2 * self.settings.time_budget
        return REFIT_MARGIN * self._longest_fit + 5.0

    def result(self, study: optuna.Study) -> SearchResult:
        return SearchResult(study, self.metric.name)

    def finalise(
        self, result: SearchResult, strategy: Strategy, budget: Budget, executors: ExecutorSettings
    ) -> None:
        """The best trial's model as it was validated; when it did not come back (a model over
        KEEP_LIMIT_BYTES, or a trial of an earlier run of a resumed study), fine-tune the best
        configuration on every row, in a worker, by the end of the budget (cut short, not
        lost, when time runs out)."""
        best = result.best_trial
        config = TrialRecord.of(best).config
        if self._best_model is not None and self._best_model[0] == best.number:
            pipeline = pickle.loads(self._best_model[2])
            info = {"evaluation": "holdout", "ensemble": {best.number: 1.0}, "refit": False}
            result.model = text_model(pipeline, config, self, result, info)
            result.notes.append(
                f"the model is trial {best.number}'s as validated (fine-tuned on the"
                f" {len(self.plan.splits(self.data.y, self.data.task, self.seed)[0][0])}"
                " training rows of the split)"
            )
            return
        timeout = budget.hard_remaining - 1.0
        executor = make_executor(executors.local, FinalFit(self.data, self.backbone, self.seed))
        try:
            outcome = run_within(executor, config, timeout)
        finally:
            executor.close()
        if outcome.status != "ok":
            result.notes.append(f"the final fit on all rows did not finish: {outcome.error}")
            return
        info = {"evaluation": self.plan.name, "ensemble": {best.number: 1.0}}
        result.model = text_model(outcome.value, config, self, result, info)


def text_model(
    pipeline: Any,
    config: dict[str, Any],
    problem: TextProblem,
    result: SearchResult,
    info: dict[str, Any],
) -> TextModel:
    """The saved model of a text search: one fine-tuned pipeline and where it came from."""
    data = problem.data
    return TextModel(
        [pipeline],
        [1.0],
        data.task,
        data.target,
        data.classes,
        config,
        problem.metric.name,
        {
            "study": result.study_name,
            "n_rows": data.n_rows,
            "base_model": problem.backbone.name,
            "text": data.text,
            **info,
        },
        ("lora",),
    )


class FinalFit:
    """Fine-tune one configuration on every row (run in a worker, so it can be stopped)."""

    def __init__(self, data: TextData, backbone: Backbone, seed: int) -> None:
        self.data = data
        self.backbone = backbone
        self.seed = seed

    def __call__(self, config: dict[str, Any], report: Any) -> Any:
        deadline = None if report.deadline is None else report.deadline - 2.0
        began = time.monotonic()
        pipeline = fit_text_model(config, self.data, self.backbone, self.seed, deadline)
        logger.info("final fit on all rows: %.1fs", time.monotonic() - began)
        return pipeline
