"""A trial does not start a stage (a data-fraction rung, the full evaluation, the remaining
folds) that it predicts cannot finish in its time limit: it stops with its last report kept
and says why, instead of being killed at the limit with nothing.

`SlowByRows` sleeps in proportion to its training rows, so the timings do not depend on the
machine's speed: a fit on n rows takes n * SECONDS_PER_ROW plus what preprocessing costs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

import automl
from automl.data import Task
from automl.exceptions import AutoMLError
from automl.models import ModelFamily, Validation, register_family
from automl.problems.objective import ObjectiveProblem
from automl.record import TrialRecord
from tests.conftest import dataset_path

SECONDS_PER_ROW = 0.0005


@register_family
class SlowByRows(ModelFamily):
    name = "slow_by_rows"
    params = frozenset({"C"})
    tasks = frozenset({Task.BINARY})
    needs_scaling = True

    def build(self, params: dict[str, Any], task: Task, seed: int) -> BaseEstimator:
        return LogisticRegression(C=params.get("C", 1.0), max_iter=200)

    def fit_early_stopped(
        self, estimator: Any, X: Any, y: np.ndarray, validation: Validation
    ) -> int | None:
        time.sleep(SECONDS_PER_ROW * len(y))
        estimator.fit(X, y)
        return None


SPACE = {"models": {"slow_by_rows": {"C": 1.0}}}


def _only_trial(storage: str) -> optuna.trial.FrozenTrial:
    (name,) = optuna.get_all_study_names(storage)
    (trial,) = optuna.load_study(study_name=name, storage=storage).get_trials()
    return trial


def _search_one_trial(data: pd.DataFrame, tmp_path: Path, **kwargs: Any) -> Any:
    """Run one trial; its only trial stops early, so the search ends without a model."""
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    with pytest.raises(AutoMLError, match="no trial completed"):
        automl.search(
            data,
            target="income",
            n_trials=1,
            space=SPACE,
            storage=storage,
            seed=0,
            executor="inprocess",
            **kwargs,
        )
    return _only_trial(storage)


def test_a_trial_stops_before_the_folds_it_has_no_time_for(
    adult: pd.DataFrame, tmp_path: Path
) -> None:
    # 5-fold CV on 2,000 rows: each fold trains on 1,600 rows (0.8 s asleep), all five would
    # take 4 s of a 2.5 s limit, so the trial stops after its first fold.
    trial = _search_one_trial(
        adult, tmp_path, evaluation="cv", strategy="random", trial_time_limit=2.5
    )
    record = TrialRecord.of(trial)
    assert trial.state == TrialState.PRUNED
    assert list(trial.intermediate_values) == [0]  # the first fold's score is kept
    assert record.wall_seconds is not None and record.wall_seconds < 2.5
    assert record.stop_reason is not None and record.stop_reason["rule"] == "time"
    assert "4 more fold(s) would take about" in record.stop_reason["text"]
    assert record.why_stopped() == "no time for the next fidelity"


def test_a_trial_stops_before_a_data_fraction_it_has_no_time_for(tmp_path: Path) -> None:
    # 15,000 rows held out 80/20: a third of the 12,000 training rows (1.6 s asleep) fits in a
    # 4 s limit, all of them (4.8 s) would not: the trial keeps its score on a third.
    adult = pd.read_csv(dataset_path("adult.csv.gz"), nrows=15000)
    trial = _search_one_trial(
        adult, tmp_path, evaluation="holdout", strategy="asha", trial_time_limit=4
    )
    record = TrialRecord.of(trial)
    assert trial.state == TrialState.PRUNED
    assert len(trial.intermediate_values) == 1 and record.fidelity == pytest.approx(1 / 3)
    assert record.stop_reason is not None
    assert record.stop_reason["text"].startswith("the evaluation on all rows would take about")
    assert record.wall_seconds is not None and record.wall_seconds < 4


def test_rungs_that_run_to_their_deadline_leave_the_full_fit_its_part(
    tmp_path: Path,
) -> None:
    # LightGBM at a learning rate too small to early-stop trains on a third of the rows until
    # the rungs' deadline (a quarter of the first split's time: 1/3 of the rows against 1), then
    # on all rows until its own: cut short, but with far more than the round or two it had
    # when rungs and full fit shared one deadline.
    adult = pd.read_csv(dataset_path("adult.csv.gz"), nrows=15000)
    slow = {"n_estimators": 20000, "learning_rate": {"type": "float", "low": 2e-4, "high": 2e-4}}
    result = automl.search(
        adult,
        target="income",
        n_trials=1,
        space={"models": {"lightgbm": slow}},
        evaluation="holdout",
        strategy="asha",
        trial_time_limit=4,
        storage=":memory:",
        seed=0,
    )
    row = result.leaderboard.iloc[0]
    assert row["state"] == "cut short", row.to_dict()
    record = TrialRecord.of(result.study.trials[0])
    assert record.iterations is not None and record.iterations >= 20, record.iterations


STARTS = [
    {"model": m, "x": x} for m, x in [("slow", 0.1), ("fast", 0.2), ("slow", 0.3), ("slow", 0.4)]
]


@pytest.mark.parametrize(("slow_scores", "fast_seconds"), [(0.5, 0.0), (0.95, 0.0), (0.5, 0.8)])
def test_a_slow_familys_starting_points_are_skipped_when_a_faster_family_leads(
    slow_scores: float, fast_seconds: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 'slow' trial takes 0.5 s, over an eighth of the 3 s budget. When 'fast' scores better,
    # the slow family's two later starting points are skipped unrun; when 'slow' leads, or the
    # leader takes even longer (then skipping would buy nothing), they run.
    def objective(config: dict[str, Any], report: Any) -> float:
        if config["model"] == "slow":
            time.sleep(0.5)
            return slow_scores
        time.sleep(fast_seconds)
        return 0.9

    monkeypatch.setattr(ObjectiveProblem, "starting_points", lambda self: STARTS)
    result = automl.search(
        objective=objective,
        space={
            "model": {"type": "categorical", "choices": ["slow", "fast"]},
            "x": [0.1, 0.2, 0.3, 0.4],
        },
        time_budget=3,
        strategy="auto",
        storage=":memory:",
        seed=0,
        executor="inprocess",
    )
    first = sorted(result.study.get_trials(deepcopy=False), key=lambda t: t.number)[:4]
    assert [t.params for t in first] == STARTS
    skipped = [t.number for t in first if t.state == TrialState.PRUNED]
    if slow_scores > 0.9 or fast_seconds > 0.5:
        assert skipped == []
        return
    assert skipped == [2, 3]
    record = TrialRecord.of(first[2])
    assert record.stop_reason is not None and record.stop_reason["rule"] == "cost"
    assert record.stop_reason["text"].startswith("slow trials took 0.5s each here")
    assert record.why_stopped() == "slow here, fast leads: skipped"
