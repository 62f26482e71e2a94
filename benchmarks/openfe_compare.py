"""Our cross search beside OpenFE (Zhang et al., ICML 2023) on the same splits: the gain each
gives default LightGBM and the time each takes to choose its features.

    pip install --no-deps openfe==0.0.12 && pip install matplotlib  # OpenFE imports it, undeclared
    python -m benchmarks.openfe_compare [--datasets adult movielens --seeds 0 1 2
                                         --openfe-features 10 --cross-seconds 45]

Per dataset and seed (80/20 split as in the quality benchmark): default LightGBM on the raw
columns; with the crosses our cross search keeps (count and target encoded); with OpenFE's
first `--openfe-features` features. OpenFE gets the non-numeric columns as strings (its
handling of pandas category columns fails silently under pandas 3) and 2 processes (this
machine's cores); its `transform` computes group statistics over training and test rows
together, as its authors use it. Writes benchmarks/results/openfe_compare.md and .json.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks._parts import kept_runs
from benchmarks.datasets import BenchmarkData, load
from benchmarks.features import cross_search, fit_and_score

RESULTS = Path(__file__).parent / "results"
LIGHTGBM = {"model": "lightgbm"}


def openfe_features(split: BenchmarkData, n_features: int, seed: int) -> tuple[Any, Any, float]:
    """Training and test frames with OpenFE's first `n_features` features added, and the
    seconds its fit and transform took."""
    from openfe import OpenFE, transform

    X = split.train.drop(columns=[split.target])
    X_test = split.test.drop(columns=[split.target])
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    X[text], X_test[text] = X[text].astype(str), X_test[text].astype(str)
    y = split.train[split.target]
    if split.task != "regression":
        y = pd.Series(pd.factorize(y, sort=True)[0], index=y.index)
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        chosen = OpenFE().fit(
            data=X, label=y.to_frame("label"),
            task="regression" if split.task == "regression" else "classification",
            categorical_features=text, n_jobs=2, seed=seed, verbose=False,
            tmp_save_path=f"{scratch}/openfe.feather",
        )  # fmt: skip
        X, X_test = transform(X, X_test, chosen[:n_features], n_jobs=2)
    return X, X_test, time.monotonic() - began


def run(name: str, seed: int, n_features: int, cross_seconds: float) -> dict[str, Any]:
    from automl.data import Dataset

    split = load(name, seed)
    train = Dataset.from_source(split.train, split.target, split.task)
    test = Dataset.from_source(split.test, split.target, split.task)
    scores = {"lightgbm": fit_and_score(LIGHTGBM, train.roles, train, test, seed)}
    report, ours = cross_search(train, seed, cross_seconds)
    crossed = replace(train.roles, crosses=report.crosses)
    for encoding in ("count", "target"):
        config = {**LIGHTGBM, "cross.encoding": encoding}
        scores[f"ours ({encoding})"] = fit_and_score(config, crossed, train, test, seed)
    X, X_test, theirs = openfe_features(split, n_features, seed)
    target = {split.target: split.train[split.target].to_numpy()}
    augmented = Dataset.from_frame(X.assign(**target), split.target, split.task)
    augmented_test = Dataset.from_frame(
        X_test.assign(**{split.target: split.test[split.target].to_numpy()}),
        split.target,
        split.task,
    )
    scores["openfe"] = fit_and_score(LIGHTGBM, augmented.roles, augmented, augmented_test, seed)
    outcome = {
        "dataset": name,
        "seed": seed,
        "scores": scores,
        "seconds": {"ours": round(ours, 1), "openfe": round(theirs, 1)},
        "crosses": [c.name for c in report.crosses],
    }
    logging.info("%s", outcome)
    return outcome


def table(runs: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"# Cross search against OpenFE ({args.openfe_features} features), default LightGBM,"
        " test ROC AUC (R2), mean over seeds (max - min); seconds to choose features",
        "",
        "| dataset | lightgbm | ours (count) | ours (target) | openfe | seconds ours | seconds openfe |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(r["dataset"] for r in runs):
        mine = [r for r in runs if r["dataset"] == name]
        if not mine:
            continue
        cells = []
        for label in ("lightgbm", "ours (count)", "ours (target)", "openfe"):
            values = [r["scores"][label] for r in mine]
            cells.append(f"{statistics.mean(values):.4f} ({max(values) - min(values):.4f})")
        for who in ("ours", "openfe"):
            cells.append(f"{statistics.mean(r['seconds'][who] for r in mine):.0f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="+", default=["adult", "movielens"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--openfe-features", type=int, default=10)
    parser.add_argument("--cross-seconds", type=float, default=45.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    redone = {(name, seed) for name in args.datasets for seed in args.seeds}
    runs = kept_runs(RESULTS / "openfe_compare.json", lambda r: (r["dataset"], r["seed"]) in redone)
    for name in args.datasets:
        for seed in args.seeds:
            runs.append(run(name, seed, args.openfe_features, args.cross_seconds))
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / "openfe_compare.json").write_text(json.dumps(runs, indent=1))
            (RESULTS / "openfe_compare.md").write_text(table(runs, args))


if __name__ == "__main__":
    main()
