"""Architecture search for tabular networks (issue 18): does the supernet rank shapes as
training them alone does, and does the searched network beat today's MLP search?

    python -m benchmarks.nas rank [--datasets adult letter ...] [--seeds 0 1 2] [--rows 5000]
    python -m benchmarks.nas search [--datasets ...] [--seeds 0 1 2] [--budget 300]

`rank`: on each dataset's training rows (at most `--rows`, 80/20 into fit and validation), a
supernet over 1-4 blocks and widths 32-256 (plain backbone, piecewise-linear embeddings) is
trained once; each of its 12 children is scored on the validation rows with the shared
weights, then trained alone with the same settings and scored again. Reported: the Spearman
correlation of the two scores, whether the supernet's best child is within 0.005 of the best
standalone one, and the time of one supernet against all standalone fits.

`search`: per seed and dataset, automl at the same budget with `today` (the MLP search of
automl 0.1: plain blocks, no embeddings, one-hot categories), `searched` (the whole `mlp`
space), `searched+supernet` (the same, first trying the shapes a supernet trained on a tenth of
the budget ranks best: `supernet_share=0.1`), `lightgbm` (LightGBM's defaults, one trial), and
`default` / `default+mlp` (the default space's ensemble without and with the network family,
run by `benchmarks.families`, which also records how the network's trials ended).
Scored on the held-out 20%.
Writes benchmarks/results/nas_rank.* and nas_search.*; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from benchmarks import families
from benchmarks._parts import kept_runs
from benchmarks.datasets import SPECS, BenchmarkData, load
from benchmarks.quality import SCORING, ensemble_by_family, result_score

RESULTS = Path(__file__).parent / "results"
SUPERNET = {
    "model": "mlp",
    "mlp.backbone": "plain",
    "mlp.hidden_layers": 4,
    "mlp.width": 256,
    "mlp.normalization": "none",
    "mlp.activation": "relu",
    "mlp.dropout": 0.1,
    "mlp.numeric_embedding": "piecewise_linear",
    "mlp.bins": 16,
    "mlp.embedding_size": 8,
    "mlp.learning_rate": 0.001,
    "mlp.weight_decay": 1e-5,
    "mlp.batch_size": 256,
    "mlp.epochs": 40,
    "encode.native": "onehot",
}
TODAY = {
    "models": {
        "mlp": {
            "backbone": "plain",
            "numeric_embedding": "none",
            "normalization": "none",
            "activation": "relu",
            "shape": "constant",
            "hidden_layers": {"type": "int", "low": 1, "high": 3},
        }
    },
    "preprocessing": {"encode.native": ["onehot"]},
}
ARMS: dict[str, dict[str, Any]] = {
    "today": {"space": TODAY},
    "searched": {"space": {"models": ["mlp"]}},
    "searched+supernet": {"space": {"models": ["mlp"]}, "supernet_share": 0.1},
    "lightgbm": {"space": {"models": ["lightgbm"]}, "n_trials": 1, "ensemble": False},
}
FAMILY_ARMS = ("default", "default+mlp")
"""The default space without and with the network family: run by `benchmarks.families`."""
ALL_ARMS = [*ARMS, *FAMILY_ARMS]


def rank(data: BenchmarkData, seed: int, rows: int) -> dict[str, Any]:
    """Supernet scores against standalone scores of the same children, and their cost."""
    from automl.data import Dataset
    from automl.evaluation import predict_scores
    from automl.fidelity.supernet import SupernetMLP
    from automl.metrics import get_metric
    from automl.models import get_family
    from automl.models._mlp import TorchMLP
    from automl.pipeline import build_pipeline

    frame = data.train.sample(min(rows, len(data.train)), random_state=seed)
    dataset = Dataset.from_frame(frame, data.target, None)
    cut = int(0.8 * len(frame))
    pipeline = build_pipeline(SUPERNET, dataset.roles, dataset.task, seed)
    X = pipeline[:-1].fit_transform(dataset.features.iloc[:cut], dataset.y[:cut])
    X_val = pipeline[:-1].transform(dataset.features.iloc[cut:])
    y, y_val = dataset.y[:cut], dataset.y[cut:]
    metric = get_metric(SCORING[data.task], dataset.task)
    family = get_family("mlp")

    def judged(model: TorchMLP) -> float:
        return float(metric.score(y_val, predict_scores(model, X_val, dataset)))

    began = time.perf_counter()
    supernet = SupernetMLP(**pipeline[-1].get_params()).fit(X, y, X_val, y_val)
    supernet_seconds = time.perf_counter() - began
    shapes = supernet.children_shapes()
    shared = {shape: judged(supernet.child(*shape)) for shape in shapes}
    alone, alone_seconds = {}, 0.0
    for blocks, width in shapes:
        model = TorchMLP(**dict(pipeline[-1].get_params(), hidden_layers=blocks, width=width))
        began = time.perf_counter()
        family.fit(model, X, y, _validation(X_val, y_val))
        alone_seconds += time.perf_counter() - began
        alone[(blocks, width)] = judged(model)
    order = list(shapes)
    rho = spearmanr([shared[s] for s in order], [alone[s] for s in order]).statistic
    picked = max(order, key=lambda s: shared[s])
    return {
        "spearman": round(float(rho), 3),
        "best_alone": round(max(alone.values()), 5),
        "alone_of_supernet_pick": round(alone[picked], 5),
        "supernet_pick": list(picked),
        "supernet_seconds": round(supernet_seconds, 1),
        "alone_seconds": round(alone_seconds, 1),
        "shared": {f"{b}x{w}": round(v, 5) for (b, w), v in shared.items()},
        "alone": {f"{b}x{w}": round(v, 5) for (b, w), v in alone.items()},
    }


def _validation(X_val: Any, y_val: np.ndarray) -> Any:
    from automl.models import Validation

    return Validation(X_val, y_val)


def search(data: BenchmarkData, arm: str, budget: float, seed: int) -> dict[str, Any]:
    """One automl search of this arm: held-out score, trials, the best configuration and the
    final ensemble's weight per model family (the default space's arms: `families.run`)."""
    import automl

    if arm in FAMILY_ARMS:
        return families.run(data, arm, budget, seed)
    settings = ARMS[arm]
    result = automl.search(
        data.train, target=data.target, metric=SCORING[data.task], time_budget=budget,
        storage=":memory:", seed=seed, warm_start=False, **settings,
    )  # fmt: skip
    return {
        "score": round(result_score(data, result), 5),
        "trials": result.n_trials,
        "best_config": result.best_config,
        "ensemble": ensemble_by_family(result),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("part", choices=["rank", "search"])
    parser.add_argument("--datasets", nargs="+", default=list(SPECS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--budget", type=float, default=300.0)
    parser.add_argument("--arms", nargs="+", default=ALL_ARMS, choices=ALL_ARMS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    path = RESULTS / f"nas_{args.part}.json"
    redone = {(d, s) for d in args.datasets for s in args.seeds}
    runs = kept_runs(
        path,
        lambda r: (
            (r["dataset"], r["seed"]) in redone and (args.part == "rank" or r["arm"] in args.arms)
        ),
    )
    for name in args.datasets:
        for seed in args.seeds:
            data = load(name, seed)
            if args.part == "rank":
                runs.append({"dataset": name, "seed": seed, **rank(data, seed, args.rows)})
                logging.info("%s", runs[-1])
                write_rank(runs)
                continue
            for arm in args.arms:
                outcome = search(data, arm, args.budget, seed)
                runs.append({"dataset": name, "seed": seed, "arm": arm, **outcome})
                logging.info("%s", runs[-1])
                write_search(runs, args.budget)


def write_rank(runs: list[dict[str, Any]]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "nas_rank.json").write_text(json.dumps(runs, indent=1))
    lines = [
        "# Supernet fidelity: children scored with shared weights against trained alone",
        "",
        "| dataset | seed | Spearman | best alone | alone score of supernet's pick |"
        " supernet s | all alone s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['dataset']} | {r['seed']} | {r['spearman']:+.3f} | {r['best_alone']:.4f} |"
            f" {r['alone_of_supernet_pick']:.4f} | {r['supernet_seconds']:.0f} |"
            f" {r['alone_seconds']:.0f} |"
        )
    rhos = [r["spearman"] for r in runs]
    if rhos:
        lines += ["", f"Mean Spearman {statistics.mean(rhos):+.3f} over {len(rhos)} runs."]
    (RESULTS / "nas_rank.md").write_text("\n".join(lines) + "\n")


def write_search(runs: list[dict[str, Any]], budget: float) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "nas_search.json").write_text(json.dumps(runs, indent=1, default=str))
    arms = [a for a in ALL_ARMS if any(r["arm"] == a for r in runs)]
    lines = [
        f"# Network search at {budget:g} s: held-out score, mean over seeds (max - min)",
        "",
        "| dataset | " + " | ".join(arms) + " |",
        "|---|" + "---|" * len(arms),
    ]
    for name in dict.fromkeys(r["dataset"] for r in runs):
        cells = []
        for arm in arms:
            scores = [r["score"] for r in runs if (r["dataset"], r["arm"]) == (name, arm)]
            cells.append(
                f"{statistics.mean(scores):.4f} ({max(scores) - min(scores):.4f})" if scores else ""
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", *_against(runs, arms, "today")]
    lines += _against(runs, [a for a in arms if a != "today"], "lightgbm")
    lines += _against(runs, ["searched+supernet"], "searched")
    lines += _against(runs, ["default+mlp"], "default") + _network_weight(runs, "default+mlp")
    (RESULTS / "nas_search.md").write_text("\n".join(lines) + "\n")


def _against(runs: list[dict[str, Any]], arms: list[str], baseline: str) -> list[str]:
    """Per arm, on how many datasets its mean score beats the `baseline` arm's
    (the target: the searched network ahead of `today` on at least 5 of 7; against LightGBM's
    defaults and `default` it is reported), with the mean paired difference over seeds."""
    lines = []
    base = {(r["dataset"], r["seed"]): r["score"] for r in runs if r["arm"] == baseline}
    for arm in (a for a in arms if a != baseline):
        paired: dict[str, list[float]] = {}
        for r in runs:
            if r["arm"] == arm and (r["dataset"], r["seed"]) in base:
                paired.setdefault(r["dataset"], []).append(
                    r["score"] - base[(r["dataset"], r["seed"])]
                )
        if paired:
            means = {name: statistics.mean(d) for name, d in paired.items()}
            lines.append(
                f"{arm} - {baseline}: better on {sum(m > 0 for m in means.values())} of"
                f" {len(means)} datasets; " + ", ".join(f"{n} {m:+.4f}" for n, m in means.items())
            )
    return lines


def _network_weight(runs: list[dict[str, Any]], arm: str) -> list[str]:
    """How much of `arm`'s final models the network is: on how many runs it is in the
    ensemble (or is the best trial, when the ensemble is the best trial alone), and its mean
    weight over all those runs, 0 where it is absent (runs that recorded the ensemble per
    family only: not the earliest)."""
    weights = []
    for r in runs:
        if r["arm"] == arm and r.get("ensemble") is not None:
            ensemble = r["ensemble"] or {str(r["best_config"].get("model")): 1.0}
            weights.append(ensemble.get("mlp", 0.0))
    if not weights:
        return []
    lines = [
        f"mlp in {arm}'s final model: {sum(w > 0 for w in weights)} of {len(weights)} runs,"
        f" mean weight {statistics.mean(weights):.3f}"
    ]
    ended: Counter[str] = Counter()
    counted = [r for r in runs if r["arm"] == arm and "added_tried" in r]
    for r in counted:
        ended.update(r["added_tried"])
    if counted:
        lines.append(
            f"mlp trials in {arm} over {len(counted)} runs that recorded them, by how they"
            " ended: " + ", ".join(f"{n} {state.lower()}" for state, n in sorted(ended.items()))
        )
    return lines


if __name__ == "__main__":
    main()
