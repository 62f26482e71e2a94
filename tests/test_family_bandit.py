"""FamilyBandit: after the queued starting points, mostly the best family, never only it."""

from __future__ import annotations

from collections import Counter

import optuna
import pytest

from automl.family_bandit import FamilyBandit, rank_weights


def study_with(scores: dict[str, float], direction: str = "maximize") -> optuna.Study:
    study = optuna.create_study(direction=direction)
    dist = optuna.distributions.CategoricalDistribution(list(scores))
    for family, value in scores.items():
        study.add_trial(
            optuna.trial.create_trial(
                params={"model": family}, distributions={"model": dist}, value=value
            )
        )
    return study


def test_ranks_by_best_score_in_the_study_direction() -> None:
    scores = {"lightgbm": 0.93, "knn": 0.88, "linear": 0.90}
    bandit = FamilyBandit(list(scores), seed=0)
    study = study_with(scores)
    assert bandit.rank(study, study.trials) == ["lightgbm", "linear", "knn"]
    low = study_with(scores, direction="minimize")
    assert bandit.rank(low, low.trials) == ["knn", "linear", "lightgbm"]


def test_proposals_favour_the_best_but_explore() -> None:
    scores = {"lightgbm": 0.93, "knn": 0.88, "linear": 0.90, "random_forest": 0.91}
    bandit = FamilyBandit([*scores, "extra_trees"], seed=1)
    study = study_with(scores)
    picks = Counter(bandit.propose(study)["model"] for _ in range(2000))  # type: ignore[index]
    assert picks["lightgbm"] / 2000 == pytest.approx(0.6, abs=0.05)
    assert picks["random_forest"] / 2000 == pytest.approx(0.25, abs=0.05)
    assert all(picks[f] > 0 for f in ("knn", "linear", "extra_trees"))


def test_waits_for_queued_trials() -> None:
    study = study_with({"lightgbm": 0.9})
    study.enqueue_trial({"model": "lightgbm"})
    assert FamilyBandit(["lightgbm", "knn"], seed=0).propose(study) is None


def test_rank_weights_sum_to_one() -> None:
    for n in range(1, 8):
        assert sum(rank_weights(n)) == pytest.approx(1.0)
