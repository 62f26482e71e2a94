"""Text searches under the bandits (steps as the fidelity) and PBT (a round per LoRA link), on a
tiny random BERT and real SST-2 sentences."""

from __future__ import annotations

from pathlib import Path

import optuna
import pandas as pd
import pytest

import automl
from automl.record import TrialRecord
from tests.text.test_lora import toy_texts

SPACE = {
    "params": {
        "rank": {"type": "categorical", "choices": [4, 8]},
        "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
        "targets": "all_linear",
        "batch_size": 16,
        "steps": 24,
    }
}


def toy_frame(n: int) -> pd.DataFrame:
    """Sentences labelled by one word: a good learning rate learns them in a few steps, a
    poor one does not (so the bandits have scores to tell apart)."""
    texts, labels = toy_texts(n, 5)
    return pd.DataFrame({"sentence": texts, "label": labels})


@pytest.mark.parametrize("strategy", ["asha", "hyperband"])
def test_bandits_stop_lora_trials_early_on_steps(tiny_model_dir: Path, strategy: str) -> None:
    result = automl.search(
        toy_frame(200), target="label", text="sentence", base_model=str(tiny_model_dir),
        space=SPACE, strategy=strategy, n_trials=8, metric="log_loss", storage=":memory:", seed=0, executor="inprocess",
    )  # fmt: skip
    trials = result.study.get_trials(deepcopy=False)
    pruned = [t for t in trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned, [t.state for t in trials]
    assert all(max(t.intermediate_values) < 24 for t in pruned)  # stopped before the end
    assert all(TrialRecord.of(t).iterations == 24 for t in result.completed)
    assert result.model is not None


def test_pbt_trains_lora_links_exploits_at_knots_and_keeps_the_best_member(
    sst2: pd.DataFrame, tiny_model_dir: Path
) -> None:
    result = automl.search(
        sst2.head(200), target="label", text="sentence", base_model=str(tiny_model_dir),
        space=SPACE, strategy="pbt", n_trials=24, storage=":memory:", seed=0, executor="inprocess",
    )  # fmt: skip
    trials = result.study.get_trials(deepcopy=False)
    lineage = [t.user_attrs["pbt"] for t in trials]
    assert sorted({entry["generation"] for entry in lineage}) == [0, 1, 2]
    assert {entry["epochs"] for entry in lineage} == {6, 12, 18}  # 24 steps / 4 per round
    assert any(entry["copied_from"] for entry in lineage)  # the worst copied the best
    model = result.model
    assert model is not None and model.info["evaluation"] == "pbt"
    assert set(model.predict(sst2.tail(10))) <= {0, 1}


def test_the_dashboard_marks_a_chains_knots_on_its_curve(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    import sqlalchemy as sa

    from automl.jobs._overview import overview
    from automl.jobs._trials import all_trials, find_study

    storage = f"sqlite:///{tmp_path / 'text.db'}"
    space = {"params": {**SPACE["params"], "learning_rate": 5e-3, "links": 3}}
    result = automl.search(
        toy_frame(120), target="label", text="sentence", base_model=str(tiny_model_dir),
        space=space, strategy="random", n_trials=1, storage=storage, seed=0, executor="inprocess",
    )  # fmt: skip
    assert TrialRecord.of(result.completed[0]).knots == [8, 16]
    engine = sa.create_engine(storage)
    study = find_study(engine, result.study_name)
    assert study is not None
    (curve,) = overview(all_trials(engine, study), study.maximize, study.fidelity)["curves"]
    assert curve["knots"] == [8.0, 16.0] and {8.0, 16.0} <= set(curve["x"])  # scored at each


def test_nsga2_trades_accuracy_against_trainable_parameters(tiny_model_dir: Path) -> None:
    space = {"params": {**SPACE["params"], "rank": {"type": "int", "low": 1, "high": 16}}}
    result = automl.search(
        toy_frame(120), target="label", text="sentence", base_model=str(tiny_model_dir),
        space=space, strategy="nsga2", n_trials=4, storage=":memory:", seed=0, executor="inprocess",
    )  # fmt: skip
    assert result.multi_objective and result.pareto_front
    sizes = {t.params["lora.rank"]: t.values[1] for t in result.completed}
    assert len(sizes) > 1 and all(size > 0 for size in sizes.values())
    small, large = min(sizes), max(sizes)
    assert sizes[small] < sizes[large]  # a higher rank trains more parameters
    assert result.model is not None
