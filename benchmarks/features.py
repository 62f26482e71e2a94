"""What the feature steps do to fixed pipelines, before any search: discretisation for a linear
model, and the crosses a cross search keeps for a linear model and LightGBM.

    python -m benchmarks.features [--datasets adult wa_churn movielens --seeds 0 1 2
                                   --cross-seconds 45]

Per dataset and seed (80/20 split as in the quality benchmark): logistic regression (C=1, or
ridge) with no bins, each granularity and all of them (quantile and equal-width); then the
cross search on the training rows with `--cross-seconds`, and the linear model (with all
equal-width bins) and default LightGBM without crosses and with target- or count-encoded
crosses. Test ROC AUC (R2 for regression). Writes benchmarks/results/features.md and .json.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import r2_score, roc_auc_score

from benchmarks.datasets import load

RESULTS = Path(__file__).parent / "results"
GRANULARITIES: list[Any] = ["none", 8, 64, "all"]


def score(pipeline: Any, data: Any, test: Any) -> float:
    if data.task.value == "regression":
        return float(r2_score(test.y, pipeline.predict(test.features)))
    return float(roc_auc_score(test.y, pipeline.predict_proba(test.features)[:, 1]))


def fit_and_score(config: dict[str, Any], roles: Any, train: Any, test: Any, seed: int) -> float:
    """Test score of the fixed pipeline `config` fitted on `train`'s rows."""
    from automl.pipeline import build_pipeline

    pipeline = build_pipeline(config, roles, train.task, seed)
    pipeline.fit(train.features, train.y)
    return round(score(pipeline, train, test), 5)


def cross_search(train: Any, seed: int, seconds: float) -> tuple[Any, float]:
    """The cross search on `train`'s rows: its report and the seconds it took."""
    from automl.pipeline._prepare import FramePreparer, safe_name
    from automl.steps.cross_search import search_crosses

    preparer = FramePreparer(train.roles)
    began = time.monotonic()
    report = search_crosses(
        preparer.fit_transform(train.features), train.y, train.task,
        preparer.numeric_columns(),
        [safe_name(c) for c in train.roles.categorical + train.roles.high_cardinality],
        seed, time.monotonic() + seconds,
    )  # fmt: skip
    return report, time.monotonic() - began


def run(name: str, seed: int, cross_seconds: float) -> dict[str, Any]:
    from automl.data import Dataset

    split = load(name, seed)
    train = Dataset.from_source(split.train, split.target, split.task)
    test = Dataset.from_source(split.test, split.target, split.task)
    scores: dict[str, float] = {}

    def fit(label: str, config: dict[str, Any], roles: Any) -> None:
        scores[label] = fit_and_score(config, roles, train, test, seed)
        logging.info("%s seed %d %s: %.4f", name, seed, label, scores[label])

    for granularity in GRANULARITIES:
        for strategy in ["quantile", "uniform"] if granularity != "none" else ["quantile"]:
            config = {
                "model": "linear",
                "discretise.granularity": granularity,
                "discretise.strategy": strategy,
            }
            fit(f"linear bins={granularity} {strategy}", config, train.roles)
    report, seconds = cross_search(train, seed, cross_seconds)
    logging.info("%s seed %d %s", name, seed, report.describe())
    crossed = replace(train.roles, crosses=report.crosses)
    bins = {"discretise.granularity": "all", "discretise.strategy": "uniform"}
    for encoding in ["none", "target", "count"]:
        fit(
            f"linear+bins crosses={encoding}",
            {"model": "linear", **bins, "cross.encoding": encoding},
            crossed,
        )
        fit(
            f"lightgbm crosses={encoding}",
            {"model": "lightgbm", "cross.encoding": encoding},
            crossed,
        )
    return {
        "dataset": name,
        "seed": seed,
        "scores": scores,
        "crosses": [c.name for c in report.crosses],
        "cross_seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="+", default=["adult", "wa_churn", "movielens"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cross-seconds", type=float, default=45.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    runs = [run(name, seed, args.cross_seconds) for name in args.datasets for seed in args.seeds]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "features.json").write_text(json.dumps(runs, indent=1))
    (RESULTS / "features.md").write_text(table(runs, args))


def table(runs: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"# Feature steps on fixed pipelines: seeds {args.seeds}, cross search of"
        f" {args.cross_seconds:g}s; test ROC AUC (R2), mean (standard deviation over seeds)",
        "",
    ]
    for name in args.datasets:
        mine = [r for r in runs if r["dataset"] == name]
        lines += [f"## {name}", "", "| pipeline | score |", "|---|---|"]
        for label in mine[0]["scores"]:
            values = [r["scores"][label] for r in mine]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            lines.append(f"| {label} | {np.mean(values):.4f} ({spread:.4f}) |")
        lines.append("")
        for r in mine:
            kept = ", ".join(r["crosses"]) or "none"
            lines.append(f"- seed {r['seed']}: {r['cross_seconds']}s, crosses kept: {kept}")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
