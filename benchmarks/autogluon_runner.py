"""AutoGluon (medium_quality) for the quality benchmark, run in a virtualenv of its own:
AutoGluon 1.6 pins pandas < 2.4 and automl needs pandas 3.

Make that virtualenv once (the pinned CPU torch first, as for automl), then name its python:

    python3 -m venv ../ag-venv
    ../ag-venv/bin/pip install torch==2.13.0
    ../ag-venv/bin/pip install "autogluon.tabular[lightgbm,catboost,xgboost,fastai]==1.6.3"
    export AUTOGLUON_PYTHON=$PWD/../ag-venv/bin/python

`run_autogluon` (called by benchmarks/quality.py in automl's environment) writes the split to
CSV files and runs this file as a script with that python; the script fits a TabularPredictor
on the training rows for the budget and writes the test rows' predictions as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from benchmarks.datasets import BenchmarkData

SCORING = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}
PRESETS = "medium_quality"


def run_autogluon(data: BenchmarkData, budget: float, seed: int) -> tuple[np.ndarray, list]:
    """AutoGluon's test predictions (probabilities and classes, or values), fitted in its own
    virtualenv within `budget` seconds (`seed` made the split; AutoGluon's models keep their
    default seed, 0)."""
    import numpy as np

    python = os.environ.get("AUTOGLUON_PYTHON")
    if not python or not Path(python).is_file():
        raise SystemExit(
            "set AUTOGLUON_PYTHON to the python of AutoGluon's virtualenv"
            " (see benchmarks/autogluon_runner.py)"
        )
    with tempfile.TemporaryDirectory(prefix="automl-autogluon-") as folder:
        train, test, out = (Path(folder) / n for n in ("train.csv", "test.csv", "out.json"))
        data.train.to_csv(train, index=False)
        data.test.drop(columns=[data.target]).to_csv(test, index=False)
        command = [
            python, __file__, "--train", str(train), "--test", str(test), "--out", str(out),
            "--target", data.target, "--task", data.task, "--budget", str(budget),
            "--folder", str(Path(folder) / "model"),
        ]  # fmt: skip
        subprocess.run(command, check=True, timeout=3 * budget + 300)
        answer = json.loads(out.read_text())
    classes = _as_labels(answer["classes"], data.train[data.target])
    return np.asarray(answer["predictions"], dtype=float), classes


def _as_labels(classes: list[Any], target: Any) -> list[Any]:
    """The classes as the target column spells them (CSV and JSON turn labels into text)."""
    by_text = {str(v): v for v in target.dropna().unique()}
    return [by_text.get(str(c), c) for c in classes]


def _fit_and_predict(args: argparse.Namespace) -> dict[str, Any]:
    """In AutoGluon's virtualenv: fit on the training rows, predict the test rows."""
    import pandas as pd
    from autogluon.tabular import TabularPredictor

    train, test = pd.read_csv(args.train), pd.read_csv(args.test)
    predictor = TabularPredictor(
        label=args.target,
        problem_type=args.task,
        eval_metric=SCORING[args.task],
        path=args.folder,
        verbosity=0,
    ).fit(train, time_limit=args.budget, presets=PRESETS)
    if args.task == "regression":
        return {"classes": [], "predictions": predictor.predict(test).tolist()}
    proba = predictor.predict_proba(test, as_multiclass=True)
    return {
        "classes": [c.item() if hasattr(c, "item") else c for c in proba.columns],
        "predictions": proba.to_numpy().tolist(),
        "best_model": predictor.model_best,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("train", "test", "out", "target", "task", "folder"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--budget", type=float, required=True)
    args = parser.parse_args()
    Path(args.out).write_text(json.dumps(_fit_and_predict(args)))


if __name__ == "__main__":
    main()
