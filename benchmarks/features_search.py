"""Do the feature steps help a whole search? automl with and without discretisation and crosses,
same budget, same splits (issue 16's benchmark).

    python -m benchmarks.features_search [--datasets adult hotel_rates movielens ...
                                          --seeds 0 1 2 --budgets 60 300 --cross-share 0.15]

`without`: the default space with `discretise.granularity` fixed to none and no cross search;
`with`: the default space (bins searched) and a cross search in `--cross-share` of the budget.
Scored on each seed's held-out 20% as the quality benchmark scores (ROC AUC, accuracy, R2), with
the final model's prediction time per 1,000 test rows. Writes
benchmarks/results/features_search.md and .json. About budget x 2 x seeds x datasets of wall
time: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks._parts import kept_runs
from benchmarks.datasets import RECOMMENDER, SPECS, BenchmarkData, load
from benchmarks.quality import SCORING, score

RESULTS = Path(__file__).parent / "results"
WITHOUT = {"preprocessing": {"discretise.granularity": ["none"]}}


def run(data: BenchmarkData, budget: float, seed: int, share: float) -> dict[str, Any]:
    """One search: held-out score, prediction milliseconds per 1,000 rows, crosses kept."""
    import automl

    result = automl.search(
        data.train, target=data.target, metric=SCORING[data.task], time_budget=budget,
        storage=":memory:", seed=seed, space=None if share else WITHOUT, cross_share=share,
    )  # fmt: skip
    X_test = data.test.drop(columns=[data.target])
    began = time.perf_counter()
    if data.task == "regression":
        predictions, classes = result.predict(X_test), []
    else:
        proba = result.predict_proba(X_test)
        predictions, classes = proba.to_numpy(), list(proba.columns)
    milliseconds = 1000 * (time.perf_counter() - began) / len(X_test) * 1000
    crosses = next((n for n in result.notes if n.startswith("cross search")), "")
    return {
        "score": round(score(data, predictions, classes), 5),
        "predict_ms_per_1000": round(milliseconds, 2),
        "trials": result.n_trials,
        "best_config": result.best_config,
        "crosses": crosses,
        "members": len(result.model.info.get("ensemble") or {}) if result.model else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="+", default=[*SPECS, *RECOMMENDER])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budgets", type=float, nargs="+", default=[60.0, 300.0])
    parser.add_argument("--cross-share", type=float, default=0.15)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    runs = earlier_runs(args)
    for name in args.datasets:
        for seed in args.seeds:
            data = load(name, seed)
            for budget in args.budgets:
                for arm, share in (("without", 0.0), ("with", args.cross_share)):
                    outcome = run(data, budget, seed, share)
                    runs.append(
                        {"dataset": name, "seed": seed, "budget": budget, "arm": arm, **outcome}
                    )
                    logging.info("%s", runs[-1])
                    write(runs, args)


def earlier_runs(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The results file's runs that this invocation does not redo (a long benchmark is run in
    parts, e.g. one budget or a few datasets at a time)."""
    redone = {(d, s, b) for d in args.datasets for s in args.seeds for b in args.budgets}
    return kept_runs(
        RESULTS / "features_search.json", lambda r: (r["dataset"], r["seed"], r["budget"]) in redone
    )


def write(runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "features_search.json").write_text(json.dumps(runs, indent=1, default=str))
    lines = [
        f"# automl with and without the feature steps (cross share {args.cross_share}):"
        " held-out score, mean over seeds (max - min), prediction ms per 1,000 rows",
        "",
        "| dataset | budget | without | with | difference | ms without | ms with |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(r["dataset"] for r in runs):
        for budget in sorted({r["budget"] for r in runs}):
            arms = {
                arm: [
                    r for r in runs if (r["dataset"], r["budget"], r["arm"]) == (name, budget, arm)
                ]
                for arm in ("without", "with")
            }
            if not all(arms.values()):
                continue
            mean = {a: statistics.mean(r["score"] for r in rs) for a, rs in arms.items()}
            spread = {
                a: max(r["score"] for r in rs) - min(r["score"] for r in rs)
                for a, rs in arms.items()
            }
            ms = {
                a: statistics.mean(r["predict_ms_per_1000"] for r in rs) for a, rs in arms.items()
            }
            lines.append(
                f"| {name} | {budget:g} | {mean['without']:.4f} ({spread['without']:.4f}) |"
                f" {mean['with']:.4f} ({spread['with']:.4f}) | {mean['with'] - mean['without']:+.4f} |"
                f" {ms['without']:.1f} | {ms['with']:.1f} |"
            )
    (RESULTS / "features_search.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
