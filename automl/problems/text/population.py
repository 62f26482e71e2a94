"""Population-based training of LoRA on text (`strategy="pbt"` with `text=`): each round of a
member trains one link of a Chain of LoRA and merges it into the weights (a knot), so a knot
is where PBT exploits and explores. The checkpoint is the merged model; the next round starts
a fresh LoRA on it, so explore may change everything a new link may have (learning rate,
rank, alpha, dropout, weight decay, warm-up, batch size); the variant, target modules and
layers stay each member's first draw. The model is the best member as trained (no refit)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import optuna

from automl.budget import Budget
from automl.executors import ExecutorSettings, Reporter, Work
from automl.pbt import PopulationScheduler, Segment, population_scheduler
from automl.problems.text.backbone import MAX_LENGTH
from automl.problems.text.lora import PREFIX, LoraChoice
from automl.problems.text.objective import (
    DEADLINE_MARGIN,
    SplitTraining,
    TextPipeline,
    encode_rows,
    outputs_of,
)
from automl.problems.text.problem import TextProblem, text_model
from automl.problems.text.train import train_chain
from automl.result import SearchResult
from automl.strategies import Strategy

EXPLORABLE = ("learning_rate", "rank", "alpha_ratio", "dropout", "weight_decay", "warmup")
"""LoRA settings a member may change at a knot (batch size too: see `explorable`)."""
ROUNDS_PER_CHAIN = 4
"""A round trains this share of the space's full steps (200 steps: rounds of 50)."""


class TextPopulation(TextProblem):
    """PBT over LoRA links on the first split: each trial is one link of one member."""

    scheduler_: PopulationScheduler | None = None

    def scheduler(self, strategy: Strategy, study: optuna.Study, budget: Budget) -> Any:
        explorable = {
            p.name
            for p in self.space().params
            if p.name[len(PREFIX) :].split(".")[0] in (*EXPLORABLE, "batch_size")
        }
        interval = max(1, self.full_steps // ROUNDS_PER_CHAIN)
        self.scheduler_ = population_scheduler(
            self.space(),
            explorable,
            budget,
            self.metric.greater_is_better,
            self.settings.seed,
            interval,
        )
        return self.scheduler_

    def work(self, strategy: Strategy, study: optuna.Study) -> Work:
        (split,) = self.plan.splits(self.data.y, self.data.task, self.seed)
        return LoraSegment(self.data, split, self.metric, self.backbone, self.seed)

    def values_of(self, strategy: Strategy) -> Callable[[Any], Sequence[float]]:
        return lambda segment: [segment.score]

    def summary_of(self, result: Any) -> dict[str, Any]:
        return {"fold_scores": [round(result.score, 6)], "iterations": result.epochs}

    def keep(self, number: int, result: Any) -> None:
        return None

    def reserve(self) -> float:
        return 0.0

    def finalise(
        self, result: SearchResult, strategy: Strategy, budget: Budget, executors: ExecutorSettings
    ) -> None:
        assert self.scheduler_ is not None
        model = self.backbone.classifier(
            outputs_of(self.data), not self.data.task.is_classification
        )
        taken = self.scheduler_.take_best(lambda path: load_checkpoint(model, path), result.notes)
        if taken is None:
            return
        best = taken[0]
        assert best.config is not None
        train_rows = self.plan.splits(self.data.y, self.data.task, self.seed)[0][0]
        tokenizer, _, scale = encode_rows(self.backbone, self.data, train_rows, MAX_LENGTH)
        pipeline = TextPipeline(model, tokenizer, self.data, scale, MAX_LENGTH)
        result.model = text_model(
            pipeline,
            best.config,
            self,
            result,
            {"evaluation": "pbt", "pbt_member": best.id, "ensemble": {best.checkpoint: 1.0}},
        )
        result.notes.append(
            "PBT: the model is the best member as trained on the training split (no refit)"
        )


class LoraSegment(SplitTraining):
    """One PBT round of one member: load its merged weights (or start from the base model),
    train one LoRA link of `epochs` steps on the training rows, merge it, score the
    validation rows, save the merged weights."""

    def __call__(self, config: dict[str, Any], report: Reporter) -> Segment:
        import torch

        _, train, _, _ = self._encoded
        model = self._fresh_model()
        trained = 0
        if config["resume_from"] is not None:
            trained = load_checkpoint(model, Path(config["resume_from"]))
        steps = int(config["epochs"])
        choice = replace(LoraChoice.from_config(config["params"]), steps=steps, links=1)
        deadline = None if report.deadline is None else report.deadline - DEADLINE_MARGIN
        chain = train_chain(model, choice, train, None, None, deadline, self.seed + trained)
        score, _ = self._validate(chain.model)
        trained += chain.steps
        report(score, trained)
        state = {k: v.cpu() for k, v in chain.model.state_dict().items()}
        torch.save({**state, STEPS_KEY: torch.tensor(trained)}, Path(config["save_to"]))
        return Segment(score, trained)


STEPS_KEY = "_automl_steps"
"""A checkpoint's entry for the steps its member has trained (beside the merged weights)."""


def load_checkpoint(model: Any, path: Path) -> int:
    """Load a member's merged weights into `model`; the steps it has trained."""
    import torch

    state = torch.load(path, weights_only=True)
    steps = int(state.pop(STEPS_KEY).item())
    model.load_state_dict(state)
    return steps
