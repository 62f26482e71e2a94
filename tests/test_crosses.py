"""Feature crosses: the cross search finds a planted interaction first, keeps no cross of noise,
holds its time share, and the chosen crosses reach the trials and the saved model."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy
from sklearn.metrics import roc_auc_score

import automl
from automl.data import Dataset
from automl.jobs._trials import find_study
from automl.pipeline._prepare import FramePreparer
from automl.record import StudyMeta
from automl.steps.cross_search import CrossSearchReport, search_crosses


def planted(rows: int, seed: int) -> pd.DataFrame:
    """The target is the XOR of columns a and b (3% of labels flipped: the best AUC is 0.97); c, d, e and x are noise."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.choice(["p", "q"], rows),
            "b": rng.choice(["r", "s"], rows),
            "c": rng.choice(list("uvwxyz"), rows),
            "d": rng.choice([f"d{i}" for i in range(40)], rows),
            "e": rng.choice(["k", "l"], rows),
            "x": rng.normal(size=rows),
        }
    )
    label = (frame["a"] == "p") ^ (frame["b"] == "r")
    flip = rng.random(rows) < 0.03
    frame["y"] = np.where(flip, ~label, label).astype(int)
    return frame


def crosses_of(frame: pd.DataFrame, seconds: float = 30.0, seed: int = 0) -> CrossSearchReport:
    data = Dataset.from_frame(frame, "y", None)
    preparer = FramePreparer(data.roles)
    categorical = list(data.roles.categorical + data.roles.high_cardinality)
    return search_crosses(
        preparer.fit_transform(data.features), data.y, data.task,
        preparer.numeric_columns(), categorical, seed, time.monotonic() + seconds,
    )  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_planted_pair_is_the_first_cross_kept(seed: int) -> None:
    report = crosses_of(planted(3000, seed), seed=seed)
    assert report.crosses[0].fields == ("a", "b")
    assert report.gains["a x b"] > 0.1  # log loss removed per row


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_crosses_of_noise_are_never_kept(seed: int) -> None:
    frame = planted(3000, seed)
    rng = np.random.default_rng(seed + 10)
    frame["y"] = ((frame["x"] + rng.normal(size=len(frame))) > 0).astype(int)  # x alone
    assert crosses_of(frame, seed=seed).crosses == ()


def test_the_cross_search_stops_at_its_deadline(adult: pd.DataFrame) -> None:
    began = time.monotonic()
    # 0.1 s: about 20 of the ~100 candidates on an idle machine (all of them take 0.4 s)
    report = crosses_of(adult.rename(columns={"income": "y"}), seconds=0.1)
    assert report.out_of_time
    assert time.monotonic() - began < 0.1 + 6.0  # the base model, then the gate's margin


def test_a_linear_model_learns_the_interaction_through_a_cross(tmp_path: Path) -> None:
    train, test = planted(2000, 0), planted(1000, 1)
    scores = {}
    for share in (0.0, 0.15):
        result = automl.search(
            train, target="y", space={"models": ["linear"]}, time_budget=30, n_trials=8,
            strategy="random", storage=str(tmp_path / "studies.db"), seed=0, cross_share=share,
            ensemble=False,
        )  # fmt: skip
        predicted = result.model.predict_proba(test.drop(columns=["y"]))[1]
        scores[share] = roc_auc_score(test["y"], predicted)
        if share:
            meta = StudyMeta.from_attrs(result.study.user_attrs)
            assert meta is not None and meta.crosses is not None
            assert meta.crosses["crosses"][0]["fields"] == ["a", "b"]
            assert meta.crosses["seconds"] <= 0.15 * 30 + 5.0
            assert any("kept 1: a x b" in note for note in result.notes)
            assert result.best_config["cross.encoding"] != "none"
            engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'studies.db'}")
            study = find_study(engine, result.study.study_name)
            assert study is not None and study.cross_names()[0].startswith("a x b (+0.")
            path = result.model.save(tmp_path / "crossed.pkl")
            unseen = test.drop(columns=["y"]).iloc[:5].assign(a="never seen")
            assert len(automl.load(path).predict(unseen)) == 5
    assert scores[0.0] < 0.6  # a linear model cannot express XOR
    assert scores[0.15] >= 0.95, scores


def test_no_cross_choice_when_nothing_was_kept(adult: pd.DataFrame) -> None:
    result = automl.search(
        adult.iloc[:600], target="income", space={"models": ["linear"]}, n_trials=2,
        storage=":memory:", seed=0, executor="inprocess", ensemble=False,
    )  # fmt: skip
    assert not any(key.startswith("cross.") for key in result.best_config)


def test_a_bad_cross_share_is_refused(adult: pd.DataFrame) -> None:
    for share in (0.9, -1, "lots"):
        with pytest.raises(automl.ConfigError, match="cross_share"):
            automl.search(adult, target="income", cross_share=share, storage=":memory:")
