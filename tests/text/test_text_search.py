"""A text search end to end on a tiny random BERT and real SST-2 sentences, and the errors
careless input gets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import automl
from automl.data import EvaluationPlan
from automl.data._task import Task
from automl.exceptions import ConfigError, DataError
from automl.record import TrialRecord

SHORT = {  # three short trials: the default LoRA, all linear layers, a two-link chain
    "params": {
        "rank": {"type": "categorical", "choices": [4, 8]},
        "targets": {"type": "categorical", "choices": ["query_value", "all_linear"]},
        "learning_rate": {"type": "float", "low": 1e-3, "high": 5e-3, "log": True},
        "batch_size": 16,
        "steps": 24,
        "links": {"type": "int", "low": 1, "high": 2},
    }
}


def test_a_text_search_fine_tunes_saves_and_predicts(
    sst2: pd.DataFrame, tiny_model_dir: Path, tmp_path: Path
) -> None:
    result = automl.search(
        sst2.head(300),
        target="label",
        text="sentence",
        base_model=str(tiny_model_dir),
        space=SHORT,
        strategy="random",
        n_trials=3,
        storage=":memory:",
        seed=0,
    )
    records = [TrialRecord.of(t) for t in result.completed]
    assert len(records) == 3
    assert all(r.iterations == 24 for r in records)  # trained every step
    assert all([p.step for p in r.curve][-1] == 24 for r in records)  # reported at the end
    assert result.metric == "accuracy" and 0.0 <= result.best_score <= 1.0
    model = result.model
    assert model is not None and model.info["base_model"] == str(tiny_model_dir)
    # the best trial's own model, as validated: it scores its trial's score on those rows
    assert model.info.get("refit") is False, (model.info, result.notes)
    assert any("as validated" in n for n in result.notes)
    holdout = sst2.head(300).iloc[
        EvaluationPlan(n_folds=1).splits(_labels(sst2), Task.BINARY, 0)[0][1]
    ]
    accuracy = (model.predict(holdout) == holdout["label"].to_numpy()).mean()
    assert accuracy == pytest.approx(result.best_score)
    predicted = model.predict(["a wonderful , moving film", "dull and lifeless"])
    assert set(predicted) <= {0, 1} and len(predicted) == 2
    path = model.save(tmp_path / "text.model")
    loaded = automl.load(path)
    frame = sst2.tail(20)
    assert np.array_equal(loaded.predict(frame), model.predict(frame))
    assert loaded.predict_proba(frame).shape == (20, 2)


def _labels(sst2: pd.DataFrame) -> np.ndarray:
    return sst2.head(300)["label"].to_numpy()


def test_the_best_configuration_is_fine_tuned_again_when_its_model_cannot_be_kept(
    sst2: pd.DataFrame, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from automl.problems.text import objective

    monkeypatch.setattr(objective, "KEEP_LIMIT_BYTES", 0)  # as if the model were too large
    result = automl.search(
        sst2.head(120), target="label", text="sentence", base_model=str(tiny_model_dir),
        space=SHORT, strategy="random", n_trials=1, storage=":memory:", seed=0,
        executor="inprocess",
    )  # fmt: skip
    assert result.model is not None and "refit" not in result.model.info
    assert not any("as validated" in n for n in result.notes)


def test_text_regression(sst2: pd.DataFrame, tiny_model_dir: Path) -> None:
    frame = sst2.head(120).assign(score=lambda f: f["label"] * 4.0 + f["sentence"].str.len() / 50)
    result = automl.search(
        frame.drop(columns="label"),
        target="score",
        text="sentence",
        base_model=str(tiny_model_dir),
        space={"steps": 6, "batch_size": 16},
        n_trials=1,
        storage=":memory:",
    )
    assert result.metric == "rmse"
    values = result.model.predict(frame.head(5))
    assert values.dtype.kind == "f" and np.all(np.isfinite(values))


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda f: f, DataError, "text column 'sentense' not found; did you mean 'sentence'"),
        (lambda f: f.assign(sentence=1.5), DataError, "holds numbers, not text"),
        (lambda f: f.assign(sentence=""), DataError, "text column 'sentence' is empty"),
        (lambda f: f.assign(label=1), DataError, "is constant"),
        (lambda f: f.head(10), DataError, "too few"),
    ],
)
def test_careless_text_input_gets_one_line_reasons(
    sst2: pd.DataFrame, tiny_model_dir: Path, change: object, error: type, message: str
) -> None:
    text = "sentense" if "sentense" in message else "sentence"
    with pytest.raises(error, match=message):
        automl.search(
            change(sst2.head(60)),  # type: ignore[operator]
            target="label",
            text=text,
            base_model=str(tiny_model_dir),
            n_trials=1,
            storage=":memory:",
        )


def test_an_unknown_base_model_or_lora_parameter_is_refused(sst2: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="neither a packaged model"):
        automl.search(sst2.head(60), target="label", text="sentence", base_model="nowhere")
    with pytest.raises(ConfigError, match="unknown LoRA parameter 'rnak'"):
        automl.search(sst2.head(60), target="label", text="sentence", space={"rnak": 4}, n_trials=1)


def test_a_text_job_is_checked_against_its_columns_and_the_lora_space() -> None:
    from automl.jobs import JobSpec, validate_spec

    columns = ["label", "sentence"]
    spec = validate_spec(JobSpec(target="label", text="sentence", n_trials=2), columns)
    assert "rank" in spec.space["params"]  # the bundled LoRA space, resolved
    with pytest.raises(ConfigError, match="did you mean 'sentence'"):
        validate_spec(JobSpec(target="label", text="sentense", n_trials=2), columns)
    with pytest.raises(ConfigError, match="unknown LoRA parameter 'depth'"):
        validate_spec(
            JobSpec(target="label", text="sentence", n_trials=2, space={"depth": 2}), columns
        )


def test_a_lora_trial_near_its_time_limit_is_scored_and_marked_cut_short(
    sst2: pd.DataFrame, tiny_model_dir: Path
) -> None:
    result = automl.search(
        sst2.head(200),
        target="label",
        text="sentence",
        base_model=str(tiny_model_dir),
        space={"steps": 1_000_000, "batch_size": 8},
        strategy="random",
        n_trials=1,
        time_budget=30,
        trial_time_limit=6,
        storage=":memory:",
    )
    (trial,) = result.completed
    record = TrialRecord.of(trial)
    assert record.cut_short and 0 < (record.iterations or 0) < 1_000_000
    assert result.leaderboard["stopped"].iloc[0] == record.why_stopped()
    assert result.model is not None  # the final fit is cut short too, not lost


def test_the_estimators_take_texts(sst2: pd.DataFrame, tiny_model_dir: Path) -> None:
    frame = sst2.head(120)
    classifier = automl.AutoMLClassifier(
        text="sentence", base_model=str(tiny_model_dir), space=SHORT, n_trials=1,
        time_budget=None, strategy="random", executor="inprocess",
    )  # fmt: skip
    classifier.fit(frame["sentence"].tolist(), frame["label"].map({0: "neg", 1: "pos"}))
    assert list(classifier.classes_) == ["neg", "pos"]
    texts = ["a wonderful , moving film", "dull and lifeless"]
    assert set(classifier.predict(texts)) <= {"neg", "pos"}
    assert classifier.predict_proba(frame[["sentence"]]).shape == (120, 2)
    with pytest.raises(ValueError, match="no column 'sentence'"):
        classifier.predict(pd.DataFrame({"review": texts}))
    regressor = automl.AutoMLRegressor(
        text="sentence", base_model=str(tiny_model_dir), space=SHORT, n_trials=1,
        time_budget=None, strategy="random", executor="inprocess",
    )  # fmt: skip
    regressor.fit(np.asarray(frame["sentence"]), frame["label"] * 2.0 + 1.0)
    assert regressor.predict(texts).shape == (2,)
