"""SearchResult: best score and config, the leaderboard, the refit model, and stored predictions."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from automl.exceptions import AutoMLError
from automl.model import FittedModel
from automl.record import TrialRecord
from automl.space import MODEL_PARAM
from automl.storage import PredictionStore


class SearchResult:
    """What a search found. `model` is the best configuration refit on all rows (None for
    a custom objective, or if the refit did not fit in the time budget)."""

    def __init__(
        self,
        study: optuna.Study,
        metric: str,
        model: FittedModel | None = None,
        predictions: PredictionStore | None = None,
        elapsed: float = 0.0,
        notes: list[str] | None = None,
    ) -> None:
        self.study = study
        self.metric = metric
        self.model = model
        self.elapsed = elapsed
        self.notes = notes or []
        self._predictions = predictions
        if not self.completed:
            ends = [TrialRecord.of(t).what_ended_it() for t in study.trials]
            detail = next(
                (e for e in reversed(ends) if e), "no trial ran (is the budget too small?)"
            )
            raise AutoMLError(
                f"no trial completed in study '{study.study_name}'; last error: {detail}"
            )

    @property
    def study_name(self) -> str:
        return self.study.study_name

    @cached_property
    def completed(self) -> list[FrozenTrial]:
        return self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))

    @property
    def multi_objective(self) -> bool:
        return len(self.study.directions) > 1

    @cached_property
    def pareto_front(self) -> list[FrozenTrial]:
        """Trials no other trial beats on every objective (all trials when single-objective)."""
        return self.study.best_trials if self.multi_objective else [self.best_trial]

    @cached_property
    def best_trial(self) -> FrozenTrial:
        """The best trial on the (first) objective: the search metric."""
        maximize = self.study.directions[0] == optuna.study.StudyDirection.MAXIMIZE
        pool = self.study.best_trials if self.multi_objective else self.completed
        key = (lambda t: t.values[0]) if maximize else (lambda t: -t.values[0])
        return max(pool, key=key)

    @property
    def best_score(self) -> float:
        return float(self.best_trial.values[0])

    @property
    def best_config(self) -> dict[str, Any]:
        return dict(TrialRecord.of(self.best_trial).config)

    @property
    def n_trials(self) -> int:
        """Trials that ran (queued starting points that never ran are not counted)."""
        return sum(t.state != TrialState.WAITING for t in self.study.get_trials(deepcopy=False))

    @cached_property
    def leaderboard(self) -> pd.DataFrame:
        """One row per trial, best first: score, state, model family, seconds, CPU seconds,
        fidelity reached (1.0 = full; less for a pruned trial), why it stopped, config, error.

        Complete trials come first, those cut short by their time limit (state `cut short`)
        after the full ones, then stopped trials, whose score is the last one they reported at
        low fidelity and not comparable with a final score, then failed ones."""
        rows = []
        for t in self.study.get_trials(deepcopy=False):
            if t.state == TrialState.WAITING:
                continue
            record = TrialRecord.of(t)
            state = t.state.name.lower()
            if state == "complete" and record.cut_short:
                state = CUT_SHORT
            row: dict[str, Any] = {
                "trial": t.number,
                "state": state,
                self.metric: t.values[0] if t.values else np.nan,
                "model": record.config.get(MODEL_PARAM),
                "seconds": record.wall_seconds,
                "cpu_seconds": record.cpu_seconds,
                "fidelity": record.fidelity,
                "stopped": record.why_stopped(),
                "config": record.config,
                "error": record.error,
            }
            if self.multi_objective and t.values:
                row["objective_2"] = t.values[1]
            rows.append(row)
        frame = pd.DataFrame(rows)
        ascending = self.study.directions[0] == optuna.study.StudyDirection.MINIMIZE
        frame["_group"] = frame["state"].map(STATE_ORDER).fillna(len(STATE_ORDER))
        frame = frame.sort_values(
            ["_group", self.metric], ascending=[True, ascending], na_position="last"
        )
        if frame["model"].isna().all():
            frame = frame.drop(columns=["model"])
        return frame.drop(columns=["_group"]).reset_index(drop=True)

    def predictions(self, trial_number: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(row indices, validation predictions) of a trial, kept for ensembling."""
        return None if self._predictions is None else self._predictions.load(trial_number)

    def _require_model(self) -> FittedModel:
        if self.model is None:
            raise AutoMLError(
                "this result has no fitted model: "
                + ("; ".join(self.notes) or "a custom objective was tuned")
            )
        return self.model

    def predict(self, data: pd.DataFrame | str | Path) -> np.ndarray:
        return self._require_model().predict(data)

    def predict_proba(self, data: pd.DataFrame | str | Path) -> pd.DataFrame:
        return self._require_model().predict_proba(data)

    def save(self, path: str | Path) -> Path:
        """Save the refit model; restore it with `automl.load(path)`."""
        return self._require_model().save(path)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (what the CLI prints with --json)."""
        states = [t.state for t in self.study.get_trials(deepcopy=False)]
        return {
            "study": self.study_name,
            "metric": self.metric,
            "best_score": self.best_score,
            "best_config": self.best_config,
            "n_trials": self.n_trials,
            "n_complete": states.count(TrialState.COMPLETE),
            "n_pruned": states.count(TrialState.PRUNED),
            "n_failed": states.count(TrialState.FAIL),
            "elapsed_seconds": round(self.elapsed, 2),
            "cpu_seconds": round(
                sum(
                    TrialRecord.of(t).cpu_seconds or 0.0
                    for t in self.study.get_trials(deepcopy=False)
                ),
                2,
            ),
            "pareto_front": [
                {"trial": t.number, "values": list(t.values)} for t in self.pareto_front
            ]
            if self.multi_objective
            else None,
            "notes": self.notes,
        }

    def __repr__(self) -> str:
        return (
            f"SearchResult(study={self.study_name!r}, {self.metric}={self.best_score:.5g},"
            f" trials={self.n_trials})"
        )


CUT_SHORT = "cut short"
"""Leaderboard state of a complete trial whose fit its time limit ended."""
STATE_ORDER = {"complete": 0, CUT_SHORT: 1, "pruned": 2, "fail": 3, "running": 4}
