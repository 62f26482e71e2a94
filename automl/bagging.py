"""The split models of cross-validated trials, kept for the final model: averaged (bagging)
instead of a refit on all rows, or the fallback when no refit finishes in time.

A trial fitted one pipeline per evaluation split; the pipelines of the trials the ensemble may
pick (the best `keep` and each family's best, `ensemble_candidates`) are kept (pickled, in a
temporary folder: a forest's split models weigh megabytes), so that any member can be bagged.
"""

from __future__ import annotations

import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any

from optuna.trial import FrozenTrial

from automl.data import Dataset, EvaluationPlan
from automl.evaluation import TrialResult
from automl.metrics import Metric
from automl.model import FittedModel
from automl.refit import MAX_CANDIDATES, assemble_model, ensemble_candidates, split_members
from automl.result import SearchResult


class FoldModels:
    """The pickled split models of the best `keep` finished trials (by score)."""

    def __init__(self, maximize: bool, keep: int = MAX_CANDIDATES) -> None:
        self.sign = 1.0 if maximize else -1.0
        self.keep = keep
        self.folder = Path(tempfile.mkdtemp(prefix="automl-fold-models-"))
        self.kept: dict[int, float] = {}  # trial number -> signed score
        self.families: dict[int, str] = {}  # trial number -> model family

    def update(self, number: int, result: TrialResult) -> None:
        """Keep this trial's split models if the ensemble may pick it (among the best `keep`
        so far, or its family's best); drop those it pushes out."""
        if result.fold_models is None:
            return
        scores = {**self.kept, number: self.sign * result.score}
        families = {**self.families, number: result.family}
        ranked = sorted(scores, key=lambda n: scores[n], reverse=True)
        wanted = set(ensemble_candidates(ranked, families, self.keep))
        if number not in wanted:
            return
        (self.folder / f"{number}.pkl").write_bytes(result.fold_models)
        for dropped in set(scores) - wanted:
            (self.folder / f"{dropped}.pkl").unlink(missing_ok=True)
        self.kept = {n: scores[n] for n in wanted}
        self.families = {n: families[n] for n in wanted}

    def add(self, number: int, result: TrialResult) -> None:
        """Add split models to a kept trial's (its other folds, scored after the search)."""
        if number not in self.kept or result.fold_models is None:
            return
        path = self.folder / f"{number}.pkl"
        pipelines = pickle.loads(path.read_bytes()) + pickle.loads(result.fold_models)
        path.write_bytes(pickle.dumps(pipelines))

    def pipelines(self, number: int, dataset: Dataset) -> list[Any] | None:
        """The trial's split models, or None when they were not kept or a split lacked a class
        (it could not vote on every class)."""
        if number not in self.kept:
            return None
        pipelines = pickle.loads((self.folder / f"{number}.pkl").read_bytes())
        if dataset.task.is_classification and any(
            len(p[-1].classes_) != len(dataset.classes or ()) for p in pipelines
        ):
            return None
        return list(pipelines)

    def bagged(
        self,
        weights: dict[int, float],
        result: SearchResult,
        dataset: Dataset,
        metric: Metric,
        plan: EvaluationPlan,
    ) -> FittedModel | None:
        """Every member's split models, each with its member's weight shared among them (None
        when a member's were not kept)."""
        trials = {t.number: t for t in result.completed}
        fitted: list[tuple[float, Any, FrozenTrial]] = []
        splits: list[int] = []
        for number, weight in sorted(weights.items(), key=lambda item: -item[1]):
            pipelines = self.pipelines(number, dataset) if number in trials else None
            if pipelines is None:
                return None
            fitted += split_members(weight, pipelines, trials[number])
            splits.append(len(pipelines))
        model = assemble_model(fitted, result.study_name, dataset, metric, plan)
        model.info["fold_models"] = splits[0]
        model.info["final_model"] = "bagged"
        return model

    def fallback(
        self,
        weights: dict[int, float],
        result: SearchResult,
        dataset: Dataset,
        metric: Metric,
        plan: EvaluationPlan,
    ) -> tuple[FittedModel | None, str | None]:
        """For when no refit on all rows finished in time: the chosen ensemble's split models
        (`weights`, bagged as `final_model="bagged"` does), else the best kept trial's alone,
        and a note saying so. Short searches end here often: on a 20 s search the ensemble was
        worth 0.01 held-out ROC AUC over its best trial (mn_police_use_of_force)."""
        model = self.bagged(weights, result, dataset, metric, plan) if len(weights) > 1 else None
        if model is not None:
            return model, (
                f"no refit on all rows finished in time: the model is the split models of the"
                f" ensemble's {len(weights)} members as fitted during the search (each on"
                f" {plan.train_fraction:.0%} of the rows), averaged with the ensemble's weights"
            )
        completed = {t.number for t in result.completed}
        ranked = sorted((n for n in self.kept if n in completed), key=lambda n: -self.kept[n])
        if not ranked:
            return None, None
        number = ranked[0]
        model = self.bagged({number: 1.0}, result, dataset, metric, plan)
        if model is None:
            return None, None
        splits = model.info["fold_models"]
        return model, (
            f"no refit on all rows finished in time: the model is trial {number}'s"
            f" {splits} split model(s) as fitted during the search"
            f" (each on {plan.train_fraction:.0%} of the rows)"
        )

    def close(self) -> None:
        """Delete the kept models."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.kept.clear()
