"""How the final ensemble is assembled from a finished search's predictions (issue 17): the
candidates Caruana's selection is offered, and a second-level stacker in its place.

    python -m benchmarks.ensembles [--datasets adult letter ...] [--seeds 0 1 2] [--budget 60]

Per dataset and seed, one search with automl's defaults (time budget, the quality benchmark's
metric); then, on the validation (holdout) or out-of-fold (CV) predictions its trials stored,
each way of combining them is scored by 5-fold cross-validation over those rows: fitted on
four fifths, scored on the fifth, so no method is judged on the rows it was chosen on. The
methods share the search, so their differences are free of search-to-search noise:
- `best`: the trial best on the fitting rows alone;
- `caruana_top`: Caruana's greedy selection with replacement among the 20 best trials (before
  this change);
- `caruana_families`: the same among the 20 best plus each model family's best
  (`automl.refit.ensemble_candidates`, what the search does now);
- `caruana_log_loss`: Caruana among the 20 best, selecting on log loss where the metric scores
  predicted labels (accuracy, F1: flat almost everywhere), on the metric otherwise;
- `gated`: Caruana among the 20 best and each family's best, kept only where it beat the best
  single trial on held-out halves of the fitting rows (chosen on one half, scored on the
  other, both ways), else the best single trial. The runs of 2026-12-01 made this check on
  every metric; from them, `automl.ensemble.blend_or_best` makes it only for metrics of labels
  (accuracy), so on the other datasets the search now does `caruana_families`;
- `stacker`: a logistic regression on the candidates' log-probabilities (ridge on their
  predictions for regression), fitted on out-of-fold predictions only.
Writes benchmarks/results/ensembles.md and .json; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold

from benchmarks._parts import kept_runs
from benchmarks.datasets import RECOMMENDER, SPECS, BenchmarkData, load
from benchmarks.quality import SCORING

RESULTS = Path(__file__).parent / "results"
METHODS = ("best", "caruana_top", "caruana_families", "caruana_log_loss", "gated", "stacker")
OUTER_FOLDS = 5
Combine = Callable[[dict[int, np.ndarray], np.ndarray, dict[int, np.ndarray]], np.ndarray]


def search(data: BenchmarkData, budget: float, seed: int) -> tuple[Any, Any]:
    """A default search on the training rows, and the dataset as the search encoded it."""
    import automl
    from automl.data import Dataset

    result = automl.search(
        data.train, target=data.target, task=data.task, metric=SCORING[data.task],
        time_budget=budget, storage=":memory:", seed=seed, warm_start=False,
    )  # fmt: skip
    return result, Dataset.from_frame(data.train, data.target, data.task)


def candidate_pool(result: Any, metric: Any) -> tuple[np.ndarray, dict[int, np.ndarray], dict]:
    """(rows, predictions per trial, family per trial) of every finished trial whose stored
    predictions cover the best trial's rows, best first."""
    from automl.refit import predictions_on_shared_rows

    sign = 1.0 if metric.greater_is_better else -1.0
    ranked = sorted(result.completed, key=lambda t: sign * t.values[0], reverse=True)
    rows, pool = predictions_on_shared_rows((t.number for t in ranked), result.predictions)
    families = {t.number: str(t.params.get("model", "")) for t in ranked if t.number in pool}
    assert rows is not None, "the search stored no predictions"
    return rows, pool, families


def caruana(metric: Any) -> Combine:
    from automl.ensemble import blend, select_ensemble

    def combine(fit: dict[int, np.ndarray], y: np.ndarray, apply: dict[int, np.ndarray]):
        return blend(select_ensemble(fit, y, metric), apply)

    return combine


def best(metric: Any) -> Combine:
    sign = 1.0 if metric.greater_is_better else -1.0

    def combine(fit: dict[int, np.ndarray], y: np.ndarray, apply: dict[int, np.ndarray]):
        return apply[max(fit, key=lambda n: sign * metric.score(y, fit[n]))]

    return combine


def gated(metric: Any, seed: int) -> Combine:
    from automl.ensemble import blend, blend_or_best

    checked = replace(metric, scores_labels=True)  # the search checks label metrics only

    def combine(fit: dict[int, np.ndarray], y: np.ndarray, apply: dict[int, np.ndarray]):
        return blend(blend_or_best(fit, y, checked, seed), apply)

    return combine


def _stack_features(predictions: dict[int, np.ndarray], regression: bool) -> np.ndarray:
    if regression:
        return np.column_stack([predictions[n] for n in sorted(predictions)])
    columns = []
    for n in sorted(predictions):
        p = np.clip(np.asarray(predictions[n], dtype=float), 1e-6, 1 - 1e-6)
        p = p[:, None] if p.ndim == 1 else p
        columns.append(np.log(p[:, 1:] / p[:, :1]) if p.shape[1] == 2 else np.log(p))
    return np.hstack(columns)


def stacker(regression: bool) -> Combine:
    def combine(fit: dict[int, np.ndarray], y: np.ndarray, apply: dict[int, np.ndarray]):
        X_fit, X_apply = _stack_features(fit, regression), _stack_features(apply, regression)
        if regression:
            return RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(X_fit, y).predict(X_apply)
        model = LogisticRegression(C=1.0, max_iter=2000).fit(X_fit, y)
        proba = model.predict_proba(X_apply)
        shape = next(iter(apply.values())).shape
        return proba[:, 1] if len(shape) == 1 else proba

    return combine


def compare(result: Any, dataset: Any, seed: int) -> dict[str, float]:
    """Each method's mean score over the outer folds of the stored prediction rows."""
    from automl.metrics import get_metric
    from automl.refit import MAX_CANDIDATES, ensemble_candidates

    metric = get_metric(result.metric, dataset.task)
    rows, pool, families = candidate_pool(result, metric)
    y = dataset.y[rows]
    ranked = list(pool)
    offered = {
        "caruana_top": ranked[:MAX_CANDIDATES],
        "caruana_families": ensemble_candidates(ranked, families),
    }
    regression = not dataset.task.is_classification
    smooth = get_metric("log_loss", dataset.task) if metric.scores_labels else metric
    methods: dict[str, tuple[list[int], Combine]] = {
        "best": (ranked[:MAX_CANDIDATES], best(metric)),
        "caruana_top": (offered["caruana_top"], caruana(metric)),
        "caruana_families": (offered["caruana_families"], caruana(metric)),
        "caruana_log_loss": (offered["caruana_top"], caruana(smooth)),
        "gated": (offered["caruana_families"], gated(metric, seed)),
        "stacker": (offered["caruana_families"], stacker(regression)),
    }
    splitter = (
        KFold(OUTER_FOLDS, shuffle=True, random_state=seed)
        if regression
        else StratifiedKFold(OUTER_FOLDS, shuffle=True, random_state=seed)
    )
    scores: dict[str, list[float]] = {name: [] for name in methods}
    for fit_rows, apply_rows in splitter.split(np.zeros(len(y)), y):
        for name, (numbers, combine) in methods.items():
            fit = {n: pool[n][fit_rows] for n in numbers}
            apply = {n: pool[n][apply_rows] for n in numbers}
            predicted = combine(fit, y[fit_rows], apply)
            scores[name].append(metric.score(y[apply_rows], predicted))
    outcome = {name: round(float(np.mean(values)), 5) for name, values in scores.items()}
    outcome["families_added"] = len(set(offered["caruana_families"]) - set(offered["caruana_top"]))
    outcome["trials"] = len(pool)
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="+", default=[*SPECS, *RECOMMENDER])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    path = RESULTS / "ensembles.json"
    redone = {(d, s) for d in args.datasets for s in args.seeds}
    runs = kept_runs(
        path, lambda r: (r["dataset"], r["seed"]) in redone and r["budget"] == args.budget
    )
    for name in args.datasets:
        for seed in args.seeds:
            result, dataset = search(load(name, seed), args.budget, seed)
            outcome = compare(result, dataset, seed)
            runs.append({"dataset": name, "seed": seed, "budget": args.budget, **outcome})
            logging.info("%s", runs[-1])
            write(runs)


def write(runs: list[dict[str, Any]]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ensembles.json").write_text(json.dumps(runs, indent=1))
    lines = [
        "# Combining a search's trials: score on held-out stored-prediction rows (5-fold over"
        " them), mean over seeds; in brackets the mean paired difference to caruana_top and"
        " its range over seeds",
        "",
        "| dataset | budget | trials | families added | " + " | ".join(METHODS) + " |",
        "|---|---|---|---|" + "---|" * len(METHODS),
    ]
    for name, budget in dict.fromkeys((r["dataset"], r["budget"]) for r in runs):
        chosen = [r for r in runs if (r["dataset"], r["budget"]) == (name, budget)]
        cells = []
        for method in METHODS:
            done = [r for r in chosen if method in r]
            if not done:
                cells.append("")
                continue
            mean = statistics.mean(r[method] for r in done)
            diffs = [r[method] - r["caruana_top"] for r in done]
            cells.append(
                f"{mean:.4f}"
                if method == "caruana_top"
                else f"{mean:.4f} ({statistics.mean(diffs):+.4f}, {min(diffs):+.4f}..{max(diffs):+.4f})"
            )
        trials = statistics.mean(r["trials"] for r in chosen)
        added = statistics.mean(r["families_added"] for r in chosen)
        lines.append(
            f"| {name} | {budget:g} | {trials:.0f} | {added:.1f} | " + " | ".join(cells) + " |"
        )
    (RESULTS / "ensembles.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
