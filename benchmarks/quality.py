"""Quality benchmark: automl (strategy auto) against FLAML, AutoGluon and Optuna TPE + LightGBM
at equal time.

Scored on a held-out 20% of each seed's split (ROC AUC for binary, accuracy for multiclass, R2
for regression); every tuned method optimises that same metric on its validation rows
(SCORING), as a user would ask. Writes benchmarks/results/<out>.md and .json (a list of runs;
a rerun keeps the runs it does not redo).

    pip install "flaml[automl]"
    python -m benchmarks.quality --budget 60 [--seeds 0 1 2] [--datasets adult movielens ...]
                                 [--methods automl flaml autogluon ...] [--out quality]

AutoGluon pins an older pandas, so it runs in a virtualenv of its own, named by
AUTOGLUON_PYTHON (see benchmarks/autogluon_runner.py for how to make it).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split

from benchmarks._parts import kept_runs
from benchmarks.autogluon_runner import run_autogluon
from benchmarks.datasets import RECOMMENDER, SPECS, BenchmarkData, load

RESULTS = Path(__file__).resolve().parent / "results"
SCORING = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}
"""The test metric per task; the searches are told to optimise it (automl's default for
multiclass would be log loss, FLAML's too)."""
Predict = Callable[[BenchmarkData, float, int], tuple[np.ndarray, list]]
RIVALS = ("flaml", "autogluon")
"""Issue 17's bar: automl at least as good as the best of these (mean over seeds)."""


def score(data: BenchmarkData, predictions: np.ndarray, classes: list) -> float:
    """predictions: probabilities (n, k) in `classes` order for classification, values otherwise."""
    y = data.test[data.target].to_numpy()
    if data.task == "regression":
        return float(r2_score(y, predictions))
    if data.task == "binary":
        return float(roc_auc_score(y == classes[1], predictions[:, 1]))
    return float(accuracy_score(y, np.asarray(classes, dtype=object)[predictions.argmax(axis=1)]))


def result_score(data: BenchmarkData, result: Any) -> float:
    """An automl SearchResult's model scored on the held-out rows, as `score` does."""
    X_test = data.test.drop(columns=[data.target])
    if data.task == "regression":
        return score(data, result.predict(X_test), [])
    proba = result.predict_proba(X_test)
    return score(data, proba.to_numpy(), list(proba.columns))


def ensemble_by_family(result: Any) -> dict[str, float]:
    """An automl SearchResult's final ensemble weight per model family (3 decimals)."""
    ensemble = (result.model.info.get("ensemble") if result.model else None) or {}
    models = {t.number: t.params.get("model") for t in result.completed}
    weights: dict[str, float] = {}
    for number, weight in ensemble.items():
        family = str(models.get(int(number)))
        weights[family] = weights.get(family, 0.0) + weight
    return {family: round(weight, 3) for family, weight in weights.items()}


def lgbm_frame(frame: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas categories (LightGBM's native categorical handling)."""
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(reference[col]):
            out[col] = pd.Categorical(out[col], categories=sorted(reference[col].dropna().unique()))
    return out


def _xy(data: BenchmarkData) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    X = data.train.drop(columns=[data.target])
    return (
        lgbm_frame(X, X),
        data.train[data.target],
        lgbm_frame(data.test.drop(columns=[data.target]), X),
    )


def _lgbm(task: str, seed: int, **params: Any) -> Any:
    import lightgbm

    cls = lightgbm.LGBMRegressor if task == "regression" else lightgbm.LGBMClassifier
    return cls(verbose=-1, random_state=seed, **params)


def run_lgbm_default(data: BenchmarkData, budget: float, seed: int) -> tuple[np.ndarray, list]:
    X, y, X_test = _xy(data)
    model = _lgbm(data.task, seed).fit(X, y)
    if data.task == "regression":
        return model.predict(X_test), []
    return model.predict_proba(X_test), list(model.classes_)


def run_optuna_tpe(data: BenchmarkData, budget: float, seed: int) -> tuple[np.ndarray, list]:
    """Plain Optuna TPE over LightGBM parameters, scored on a 20% validation split of train."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.monotonic()
    X, y, X_test = _xy(data)
    stratify = y if data.task != "regression" else None
    X_tr, X_va, y_tr, y_va = train_test_split(
        X, y, test_size=0.2, random_state=seed, stratify=stratify
    )

    def params_of(trial: optuna.Trial) -> dict:
        return {
            "n_estimators": trial.suggest_int("n_estimators", 50, 1000, log=True),
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 4, 256, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 2, 100, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "subsample_freq": 1,
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
            "reg_alpha": trial.suggest_float("reg_alpha", 1e-3, 10, log=True),
            "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10, log=True),
        }

    def objective(trial: optuna.Trial) -> float:
        model = _lgbm(data.task, seed, **params_of(trial)).fit(X_tr, y_tr)
        if data.task == "regression":
            return float(r2_score(y_va, model.predict(X_va)))
        proba = model.predict_proba(X_va)
        if data.task == "binary":
            return float(roc_auc_score(y_va == model.classes_[1], proba[:, 1]))
        return float(accuracy_score(y_va, model.classes_[proba.argmax(axis=1)]))

    def stop_in_time(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        """Equal time for all methods: stop when another trial like the slowest so far, plus the
        refit on all of train, would no longer fit in the budget."""
        slowest = max(t.duration.total_seconds() for t in study.trials if t.duration)
        if time.monotonic() - start + 2.5 * slowest > budget:
            study.stop()

    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, timeout=budget * 0.9, callbacks=[stop_in_time])
    model = _lgbm(data.task, seed, **{**study.best_params, "subsample_freq": 1}).fit(X, y)
    logging.info("optuna: %d trials in %.1fs", len(study.trials), time.monotonic() - start)
    if data.task == "regression":
        return model.predict(X_test), []
    return model.predict_proba(X_test), list(model.classes_)


def run_flaml(data: BenchmarkData, budget: float, seed: int = 0) -> tuple[np.ndarray, list]:
    from flaml import AutoML

    X, y = data.train.drop(columns=[data.target]), data.train[data.target]
    automl = AutoML()
    task = "regression" if data.task == "regression" else "classification"
    automl.fit(X, y, task=task, metric=SCORING[data.task], time_budget=budget, verbose=0, seed=seed)
    X_test = data.test.drop(columns=[data.target])
    if data.task == "regression":
        return automl.predict(X_test), []
    return automl.predict_proba(X_test), list(automl.classes_)


def run_automl(
    data: BenchmarkData, budget: float, seed: int, portfolio: str = "learned"
) -> tuple[np.ndarray, list]:
    import automl

    result = automl.search(
        data.train,
        target=data.target,
        metric=SCORING[data.task],
        time_budget=budget,
        storage=":memory:",
        seed=seed,
        portfolio=portfolio,
    )
    logging.info(
        "automl: %d trials, best %s %.5f, search took %.1fs",
        result.n_trials,
        result.metric,
        result.best_score,
        result.elapsed,
    )
    X_test = data.test.drop(columns=[data.target])
    if data.task == "regression":
        return result.predict(X_test), []
    proba = result.predict_proba(X_test)
    return proba.to_numpy(), list(proba.columns)


def run_automl_plain_greedy(
    data: BenchmarkData, budget: float, seed: int
) -> tuple[np.ndarray, list]:
    """automl from the portfolio grown by regret gain alone (shipped before the cost-aware one)."""
    from benchmarks.portfolio import greedy_portfolio, portfolio_on_disk

    with portfolio_on_disk(greedy_portfolio(cost_aware=False)) as portfolio:
        return run_automl(data, budget, seed, portfolio)


METHODS: dict[str, Predict] = {
    "lgbm_default": run_lgbm_default,
    "optuna_tpe_lgbm": run_optuna_tpe,
    "flaml": run_flaml,
    "autogluon": run_autogluon,
    "automl": run_automl,
    "automl_hand_picked": partial(run_automl, portfolio="none"),
    "automl_plain_greedy": run_automl_plain_greedy,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--datasets", nargs="*", default=[*SPECS, *RECOMMENDER])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--methods", nargs="*", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--out", default="quality")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    warnings.filterwarnings("ignore")
    path = RESULTS / f"{args.out}.json"
    redone = {(d, s, m) for d in args.datasets for s in args.seeds for m in args.methods}
    runs = kept_runs(
        path,
        lambda r: (r["dataset"], r["seed"], r["method"]) in redone and r["budget"] == args.budget,
    )
    for name in args.datasets:
        for seed in args.seeds:
            data = load(name, seed)
            for method in args.methods:
                start = time.monotonic()
                predictions, classes = METHODS[method](data, args.budget, seed)
                seconds = round(time.monotonic() - start, 1)
                value = score(data, predictions, classes)
                runs.append(
                    {"dataset": name, "seed": seed, "method": method, "budget": args.budget,
                     "score": round(value, 6), "seconds": seconds}
                )  # fmt: skip
                logging.info("%s seed %d %s: %.4f (%.1fs)", name, seed, method, value, seconds)
                write(runs, args.out)


def write(runs: list[dict[str, Any]], out: str) -> None:
    """The runs, and a table per budget: each method's mean over seeds (spread), automl's gap to
    the best of FLAML and AutoGluon."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{out}.json").write_text(json.dumps(runs, indent=1))
    lines: list[str] = []
    for budget in sorted({r["budget"] for r in runs}):
        at = [r for r in runs if r["budget"] == budget]
        methods = [m for m in METHODS if any(r["method"] == m for r in at)]
        lines += [
            f"# Quality at {budget:g} s per search (held-out 20% of each seed's split)",
            "",
            "Scores: ROC AUC (binary), accuracy (multiclass), R2 (regression); the mean over",
            "seeds, with (max - min) over seeds and the mean wall seconds of the whole method",
            "(loading the frame and predicting the test rows included) in brackets. Gap: automl",
            "minus the best of FLAML and AutoGluon.",
            "",
            "| dataset | seeds | " + " | ".join(methods) + " | gap to best rival |",
            "|---" * (len(methods) + 3) + "|",
        ]
        for name in dict.fromkeys(r["dataset"] for r in at):
            means: dict[str, float] = {}
            cells = []
            seeds = sorted({r["seed"] for r in at if r["dataset"] == name})
            for method in methods:
                chosen = [r for r in at if (r["dataset"], r["method"]) == (name, method)]
                if not chosen:
                    cells.append("-")
                    continue
                values = [r["score"] for r in chosen]
                means[method] = statistics.mean(values)
                seconds = statistics.mean(r["seconds"] for r in chosen)
                own = ",".join(str(r["seed"]) for r in chosen)
                plural = "s" if len(chosen) > 1 else ""
                fewer = f", seed{plural} {own} only" if len(chosen) < len(seeds) else ""
                cells.append(
                    f"{means[method]:.4f} ({max(values) - min(values):.4f}, {seconds:.0f}s{fewer})"
                )
            rivals = [means[m] for m in RIVALS if m in means]
            gap = f"{means['automl'] - max(rivals):+.4f}" if "automl" in means and rivals else "-"
            lines.append(
                f"| {name} | {','.join(map(str, seeds))} | " + " | ".join(cells) + f" | {gap} |"
            )
        lines.append("")
    (RESULTS / f"{out}.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
