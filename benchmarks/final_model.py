"""How the final model is made and chosen (issue 17): refit on all rows against bagging the
chosen trials' split models, one fixed split against a fold drawn per configuration, with the
optimism of each (validation score of the final model minus its test score: how much the
search fooled itself).

    python -m benchmarks.final_model [--datasets wa_churn adult ...] [--seeds 0 1 2]
                                     [--budget 60] [--arms current cv_refit cv_bagged ...]

Arms: `current` (automl's defaults: holdout above 10,000 rows, 5-fold CV below, refit),
`cv_refit` (5-fold CV, refit), `cv_bagged` (5-fold CV, each member's 5 split models averaged,
no refit), `random_fold` (each configuration scored on one of 5 folds drawn for it, the best
5 then on all folds, refit), `random_fold_bagged` (the same, their split models averaged).
Scored on each seed's held-out 20% as the quality benchmark scores. Writes
benchmarks/results/final_model.md and .json; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
from pathlib import Path
from typing import Any

from benchmarks._parts import run_arms
from benchmarks.datasets import RECOMMENDER, SPECS, BenchmarkData
from benchmarks.quality import SCORING, result_score

RESULTS = Path(__file__).parent / "results"
ARMS: dict[str, dict[str, Any]] = {
    "current": {},
    "cv_refit": {"evaluation": "cv"},
    "cv_bagged": {"evaluation": "cv", "final_model": "bagged"},
    "random_fold": {"evaluation": "random_fold"},
    "random_fold_bagged": {"evaluation": "random_fold", "final_model": "bagged"},
}
NOTES = ("final model", "refit", "random-fold")


def run(data: BenchmarkData, arm: str, budget: float, seed: int) -> dict[str, Any]:
    """One search: held-out score, the model's own validation score, trials, members."""
    import automl

    result = automl.search(
        data.train, target=data.target, metric=SCORING[data.task], time_budget=budget,
        storage=":memory:", seed=seed, warm_start=False, **ARMS[arm],
    )  # fmt: skip
    test = result_score(data, result)
    info = result.model.info if result.model else {}
    validation = info.get("validation_score")  # in the same metric: the search optimised it
    return {
        "score": round(test, 5),
        "validation_score": validation,
        "optimism": None if validation is None else round(validation - test, 5),
        "trials": result.n_trials,
        "members": len(info.get("ensemble") or {}),
        "notes": [n for n in result.notes if any(word in n for word in NOTES)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="+", default=[*SPECS, *RECOMMENDER])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    run_arms(
        RESULTS / "final_model.json", args.datasets, args.seeds, args.arms, args.budget, run, write
    )


def write(runs: list[dict[str, Any]]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "final_model.json").write_text(json.dumps(runs, indent=1, default=str))
    arms = [a for a in ARMS if any(r["arm"] == a for r in runs)]
    lines = [
        "# Final model: refit or bagged, one split or random folds. Held-out score, mean over seeds"
        " (max - min); optimism = the model's validation score - its test score",
        "",
        "| dataset | budget | " + " | ".join(f"{a} | optimism" for a in arms) + " |",
        "|---|---|" + "---|---|" * len(arms),
    ]
    for name, budget in dict.fromkeys((r["dataset"], r["budget"]) for r in runs):
        cells = []
        for arm in arms:
            chosen = [
                r for r in runs if (r["dataset"], r["budget"], r["arm"]) == (name, budget, arm)
            ]
            scores = [r["score"] for r in chosen]
            optimism = [r["optimism"] for r in chosen if r["optimism"] is not None]
            cells.append(
                f"{statistics.mean(scores):.4f} ({max(scores) - min(scores):.4f})" if scores else ""
            )
            cells.append(f"{statistics.mean(optimism):+.4f}" if optimism else "")
        lines.append(f"| {name} | {budget:g} | " + " | ".join(cells) + " |")
    (RESULTS / "final_model.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
