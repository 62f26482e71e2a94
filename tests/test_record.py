"""Typed trial and study records: round trips, and studies written by automl 0.1.0 still open."""

from __future__ import annotations

import shutil
from pathlib import Path

import optuna
import pandas as pd
import pytest

import automl
from automl.record import CurvePoint, StudyMeta, TrialRecord, forecast_attrs
from tests.conftest import dataset_path

FIXTURE = Path(__file__).parent / "data" / "fixtures" / "studies_0_1_0.db"
"""Made by automl 0.1.0 (commit 08c1a68): a 4-trial `lc` LightGBM search on the first 1,500
rows of Adult (study `tabular-0.1.0`, seed 0) and a 5-trial objective (`objective-0.1.0`)."""


def test_a_trial_record_round_trips_through_user_attributes() -> None:
    record = TrialRecord(
        config={"model": "lightgbm", "lightgbm.num_leaves": 31},
        wall_seconds=1.5,
        cpu_seconds=2.5,
        fidelity=0.25,
        curve=[CurvePoint(16, 0.8, 0.008, 0.1), CurvePoint(23, 0.81, None, 0.2)],
        fit_seconds=1.2,
        iterations=120,
        fold_scores=[0.8, 0.82],
    )
    attrs = record.to_attrs() | forecast_attrs({"mean": 0.85, "p_better": 0.2})
    read = TrialRecord.from_attrs(attrs)
    assert read.forecast == {"mean": 0.85, "p_better": 0.2}
    read.forecast = None
    assert read == record
    assert TrialRecord.from_attrs({}) == TrialRecord()


def test_a_0_1_0_record_reads_its_rounds_as_iterations() -> None:
    old = {"result": {"config": {"x": 1}, "rounds": 42, "curve": [{"step": 1, "value": 0.5}]}}
    record = TrialRecord.from_attrs(old)
    assert record.iterations == 42 and record.curve == [CurvePoint(1, 0.5, None, 0.0)]


def test_study_meta_refuses_to_resume_on_other_settings() -> None:
    meta = StudyMeta("tabular", ("maximize",), target="y", metric="roc_auc")
    assert StudyMeta.from_attrs(meta.to_attrs()) == meta
    assert StudyMeta.from_attrs({}) is None
    other = StudyMeta("tabular", ("maximize",), target="y", metric="log_loss")
    assert meta.mismatch(other) == "metric='roc_auc', not 'log_loss'"


def test_studies_written_by_0_1_0_resume(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copy(FIXTURE, db)
    data = pd.read_csv(dataset_path("adult.csv.gz")).iloc[:1500]
    result = automl.search(
        data,
        target="income",
        n_trials=5,
        strategy="lc",
        space={"models": ["lightgbm"]},
        storage=str(db),
        study_name="tabular-0.1.0",
        seed=0,
        executor="inprocess",
    )
    old = [t for t in result.study.trials if t.number < 4]
    assert [TrialRecord.of(t).config["model"] for t in old] == ["lightgbm"] * 4
    assert all(TrialRecord.of(t).iterations for t in old if t.state.name == "COMPLETE")
    assert result.n_trials == 5 and result.model is not None
    meta = StudyMeta.from_attrs(result.study.user_attrs)
    assert meta is not None and meta.meta_features is None  # 0.1.0 did not record them
    again = automl.search(
        objective=lambda config, report: config["x"],
        space={"x": {"type": "float", "low": 0, "high": 1}},
        n_trials=7,
        storage=str(db),
        study_name="objective-0.1.0",
        executor="inprocess",
    )
    assert again.n_trials == 7 and len(TrialRecord.of(again.best_trial).curve) in (0, 3)


def test_several_objectives_with_reports_record_the_curve_and_return_the_front() -> None:
    # Optuna takes no intermediate values in a multi-objective study: the reports are kept on
    # the record, nothing is pruned, and the Pareto front comes back.
    def objective(config: dict, report: automl.executors.Reporter) -> tuple[float, float]:
        for step in range(3):
            report(config["x"] * step / 2, step)
        return config["x"], config["x"] ** 2

    result = automl.search(
        objective=objective,
        space={"x": {"type": "float", "low": -1, "high": 1}},
        direction=["maximize", "minimize"],
        strategy="random",
        n_trials=8,
        executor="inprocess",
        seed=0,
    )
    states = {t.state for t in result.study.trials}
    assert states == {optuna.trial.TrialState.COMPLETE}
    assert all(len(TrialRecord.of(t).curve) == 3 for t in result.study.trials)
    assert result.pareto_front and result.multi_objective
    with pytest.raises(automl.exceptions.ConfigError, match="nsga2"):
        automl.search(
            objective=objective,
            space={"x": {"type": "float", "low": -1, "high": 1}},
            direction=["maximize", "minimize"],
            strategy="tpe",
            n_trials=1,
        )
