"""Does low fidelity rank configurations like full fidelity? The claim multi-fidelity rests on.

For N random LightGBM configurations (with their preprocessing) on each dev dataset, trained on
nested stratified subsamples (1/27, 1/9, 1/3 of the training rows, then all) and scored on one
fixed validation split, this measures:

- the Spearman rank correlation between the score at each data fraction and at full data;
- the Spearman correlation between the best validation score after 10%, 25% and 50% of the
  boosting rounds (of the full-data fit, early-stopped as in the search) and its final score;
- extrapolation error: the mean absolute error of `automl.fidelity.forecast` predicting the
  final score from the first 25% of each rounds curve, and from the three data-fraction scores,
  against the naive guess "the last value seen", with the share of finals inside the
  forecast's 90% interval.

    python -m benchmarks.fidelity_correlation [--configs 50] [--datasets adult letter ...] [--resume]

Writes benchmarks/results/fidelity_correlation.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from scipy.stats import spearmanr

from automl.data import Dataset, choose_evaluation
from automl.evaluation import predict_scores
from automl.fidelity import FidelityPlan, NestedSubsamples, forecast
from automl.metrics import METRICS, get_metric
from automl.models._registry import EARLY_STOPPING_ROUNDS
from automl.pipeline import build_pipeline
from automl.space import tabular_space
from benchmarks.datasets import load

RESULTS = Path(__file__).parent / "results"
FRACTIONS = (1 / 27, 1 / 9, 1 / 3, 1.0)
ROUND_SHARES = (0.10, 0.25, 0.50)
DEV_DATASETS = ("adult", "letter", "california_housing", "electricity")
LIGHTGBM_METRIC = {"roc_auc": "auc", "log_loss": "multi_logloss", "rmse": "rmse"}
Z90 = 1.6449


def configurations(n: int, seed: int) -> list[dict[str, Any]]:
    """`n` random LightGBM configurations (and preprocessing) from the bundled space."""
    space = tabular_space({"models": {"lightgbm": {}}}).space
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    configs = []
    for _ in range(n):
        trial = study.ask()
        configs.append(space.sample(trial))
        study.tell(trial, 0.0)
    return configs


def evaluate(
    config: dict[str, Any], data: Dataset, train: np.ndarray, valid: np.ndarray, metric: Any
) -> tuple[list[float], list[float]]:
    """Scores at each data fraction, and the full-data fit's per-round validation curve."""
    subsamples = NestedSubsamples(train, data.y if data.task.is_classification else None, seed=0)

    scores: list[float] = []
    curve: list[float] = []
    for fraction in FRACTIONS:
        rows = subsamples.take(fraction)
        pipe = build_pipeline(config, data.roles, data.task, 0)
        X = pipe[:-1].fit_transform(data.features.iloc[rows], data.y[rows])
        X_valid = pipe[:-1].transform(data.features.iloc[valid])
        pipe[-1].set_params(metric=LIGHTGBM_METRIC[metric.name])
        record: dict[str, Any] = {}
        import lightgbm

        stop = lightgbm.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)
        pipe[-1].fit(  # as the search fits LightGBM, recording the whole validation curve
            X,
            data.y[rows],
            eval_X=(X_valid,),
            eval_y=(data.y[valid],),
            callbacks=[stop, lightgbm.record_evaluation(record)],
        )
        scores.append(metric.score(data.y[valid], predict_scores(pipe[-1], X_valid, data)))
        if fraction == 1.0:
            (values,) = record["valid_0"].values()
            curve = [float(v) for v in values]
    return scores, curve


def best_so_far(curve: list[float], maximize: bool) -> np.ndarray:
    values = np.asarray(curve)
    return np.maximum.accumulate(values) if maximize else np.minimum.accumulate(values)


def prefix_points(length: int) -> np.ndarray:
    """The rounds at which the search reports (16, 23, 32, 45, ...) up to `length`."""
    return np.array([r for r in FidelityPlan("rounds", sparse=True).checkpoints() if r <= length])


def run_dataset(name: str, n_configs: int, seed: int, resume: bool = False) -> dict[str, Any]:
    """Evaluate `n_configs` configurations; with `resume`, keep the ones already saved in
    fidelity_curves_<name>.json (the configurations are the same for the same seed)."""
    bench = load(name)
    data = Dataset.from_source(bench.train, bench.target, bench.task)
    metric = get_metric(None, data.task)
    plan = choose_evaluation(data.y, data.task, "holdout")
    train, valid = plan.splits(data.y, data.task, seed)[0]
    maximize = metric.greater_is_better
    fraction_scores: list[list[float]] = []
    curves: list[np.ndarray] = []
    seconds: list[float] = []
    raw: dict[str, Any] = {"dataset": name, "metric": metric.name}
    saved_path = RESULTS / f"fidelity_curves_{name}.json"
    if resume and saved_path.exists():
        saved = json.loads(saved_path.read_text())
        fraction_scores = saved["fraction_scores"]
        curves = [np.asarray(c) for c in saved["curves"]]
        seconds = [saved["seconds_per_config"]] * saved["configs"]
    for i, config in enumerate(configurations(n_configs, seed)):
        if i < len(curves):
            continue
        start = time.perf_counter()
        scores, curve = evaluate(config, data, train, valid, metric)
        seconds.append(time.perf_counter() - start)
        fraction_scores.append(scores)
        curves.append(best_so_far(curve, maximize))
        print(
            f"{name} config {i + 1}/{n_configs}: {scores[-1]:.4f} ({seconds[-1]:.1f}s)", flush=True
        )
        raw |= {  # saved after every configuration, so an interrupted run still counts
            "configs": len(curves),
            "seconds_per_config": float(np.mean(seconds)),
            "fraction_scores": fraction_scores,
            "curves": [c.tolist() for c in curves],
        }
        RESULTS.mkdir(exist_ok=True)
        saved_path.write_text(json.dumps(raw))
    return summarise(raw)


def summarise(raw: dict[str, Any]) -> dict[str, Any]:
    """Correlations and extrapolation errors from the scores and curves of one dataset."""
    metric = METRICS[raw["metric"]]
    maximize = metric.greater_is_better
    table = np.asarray(raw["fraction_scores"])
    curves = [np.asarray(c) for c in raw["curves"]]
    result: dict[str, Any] = {
        key: raw[key] for key in ("dataset", "metric", "configs", "seconds_per_config")
    }
    result |= {
        "spearman_fraction": {
            f"1/{round(1 / f)}": float(spearmanr(table[:, i], table[:, -1]).statistic)
            for i, f in enumerate(FRACTIONS[:-1])
        },
    }
    finals = np.array([c[-1] for c in curves])
    result["spearman_rounds"] = {
        f"{share:.0%}": float(
            spearmanr([c[max(0, math.ceil(share * len(c)) - 1)] for c in curves], finals).statistic
        )
        for share in ROUND_SHARES
    }
    result["rounds_extrapolation"] = extrapolation_errors(
        [(prefix_points(math.ceil(0.25 * len(c))), c, len(c)) for c in curves],
        maximize,
        metric.bounds,
    )
    fraction_curves = [
        (np.array([1, 3, 9]), np.concatenate([row[:3], [row[-1]]]), 27) for row in table
    ]
    result["fraction_extrapolation"] = extrapolation_errors(
        fraction_curves, maximize, metric.bounds, min_points=3, indexed_from_one=False
    )
    return result


def extrapolation_errors(
    items: list[tuple[np.ndarray, np.ndarray, int]],
    maximize: bool,
    bounds: tuple[float | None, float | None],
    min_points: int = 4,
    indexed_from_one: bool = True,
) -> dict[str, float]:
    """MAE of the forecast of each curve's last value from the points at `steps`, against
    the last value seen; and the share of finals inside the forecast's 90% interval."""
    errors, naive, covered = [], [], []
    for steps, curve, full in items:
        if len(steps) == 0:
            continue
        seen = [curve[s - 1] for s in steps] if indexed_from_one else list(curve[: len(steps)])
        final = float(curve[-1])
        predicted = forecast(steps, seen, full, maximize, bounds, min_points)
        guess = predicted.mean if predicted is not None else float(seen[-1])
        errors.append(abs(guess - final))
        naive.append(abs(float(seen[-1]) - final))
        if predicted is not None:
            covered.append(abs(predicted.mean - final) <= Z90 * predicted.std)
    return {
        "mae_forecast": float(np.mean(errors)),
        "mae_last_value": float(np.mean(naive)),
        "coverage_90": float(np.mean(covered)) if covered else float("nan"),
    }


def write(results: list[dict[str, Any]], n_configs: int) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fidelity_correlation.json").write_text(json.dumps(results, indent=2))
    lines = [
        "# Fidelity correlation",
        "",
        f"{n_configs} random LightGBM configurations (with preprocessing) per dataset (fewer"
        " where the `configs` column says so), 80% of"
        " the benchmark's training split to train, 20% to validate (seed 0), default metric."
        " Spearman rank correlation with the full-fidelity score; `python -m"
        " benchmarks.fidelity_correlation`.",
        "",
        "| dataset | metric | configs | 1/27 | 1/9 | 1/3 | rounds 10% | 25% | 50% | s/config |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        f, k = r["spearman_fraction"], r["spearman_rounds"]
        lines.append(
            f"| {r['dataset']} | {r['metric']} | {r['configs']} | {f['1/27']:.3f} | {f['1/9']:.3f}"
            f" | {f['1/3']:.3f}"
            f" | {k['10%']:.3f} | {k['25%']:.3f} | {k['50%']:.3f} | {r['seconds_per_config']:.1f} |"
        )
    lines += [
        "",
        "## Extrapolation error",
        "",
        "Mean absolute error of the predicted final score (learning-curve ensemble, uncalibrated)"
        " against taking the last value seen, and the share of finals inside the forecast's 90%"
        " interval. Rounds: from the search's checkpoints (rounds 16, 23, 32, 45, ...) within the"
        " first 25% of the full-data curve (the last value where there are fewer than 4);"
        " fractions: from the scores at 1/27, 1/9 and 1/3 of the rows.",
        "",
        "| dataset | rounds: forecast | last value | 90% coverage | fractions: forecast | last value | 90% coverage |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        a, b = r["rounds_extrapolation"], r["fraction_extrapolation"]
        lines.append(
            f"| {r['dataset']} | {a['mae_forecast']:.4f} | {a['mae_last_value']:.4f}"
            f" | {a['coverage_90']:.0%} | {b['mae_forecast']:.4f} | {b['mae_last_value']:.4f}"
            f" | {b['coverage_90']:.0%} |"
        )
    (RESULTS / "fidelity_correlation.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", type=int, default=50)
    parser.add_argument("--datasets", nargs="+", default=list(DEV_DATASETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--summarise-only",
        action="store_true",
        help="recompute the tables from the saved fidelity_curves_*.json (no training)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the configurations already saved in fidelity_curves_*.json, run the rest",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.summarise_only:
        results = [
            summarise(json.loads((RESULTS / f"fidelity_curves_{name}.json").read_text()))
            for name in args.datasets
        ]
    else:
        results = [
            run_dataset(name, args.configs, args.seed, args.resume) for name in args.datasets
        ]
    write(results, args.configs)
    print((RESULTS / "fidelity_correlation.md").read_text())


if __name__ == "__main__":
    main()
